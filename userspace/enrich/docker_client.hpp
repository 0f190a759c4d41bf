#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "enrich/docker_json.hpp"
#include "privsentry/docker_info.hpp"
#include "util/expected.hpp"

namespace privsentry {

// Where the Docker Engine API listens: DOCKER_HOST=unix:///path, or the
// default /var/run/docker.sock. Only unix sockets: a sensor on the host talks
// to its local engine.
Expected<std::string> docker_socket_from(std::string_view docker_host);

struct DockerClientOptions {
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds request_timeout{3000};
  std::size_t max_body_bytes = 16U << 20U;       // one inspect or list answer
  std::size_t max_event_line_bytes = 1U << 20U;  // one /events line
};

struct HttpAnswer {
  long status = 0;
  std::string body;
};

struct InspectOutcome {
  enum class Kind { kFound, kNotFound, kFailed };
  Kind kind = Kind::kFailed;
  DockerContainerInfo info;
  std::string error;
};

// The Docker Engine API over its unix socket, with libcurl. Thread-safe: each
// call uses its own handle. curl_global_init must have run (see CurlGlobal).
class DockerClient {
 public:
  DockerClient(std::string socket_path, DockerClientOptions options);

  [[nodiscard]] const std::string& socket_path() const { return socket_path_; }

  [[nodiscard]] Expected<HttpAnswer> get(const std::string& path) const;
  [[nodiscard]] Expected<std::string> server_version() const;
  [[nodiscard]] Expected<std::vector<std::string>> list_running() const;
  [[nodiscard]] InspectOutcome inspect(const std::string& id) const;

  // Follows GET /events (container events) until the stream ends or fails,
  // or should_stop() returns true (checked at least once a second). Returns
  // why it ended.
  Error stream_events(const std::function<void()>& on_connected,
                      const std::function<void(const Expected<DockerEvent>&)>& on_event,
                      const std::function<bool()>& should_stop) const;

 private:
  std::string socket_path_;
  DockerClientOptions options_;
};

// Runs curl_global_init/cleanup around the program; create it in main before
// any thread starts.
class CurlGlobal {
 public:
  CurlGlobal();
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

}  // namespace privsentry
