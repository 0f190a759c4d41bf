#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pipeline/live_feed.hpp"
#include "util/expected.hpp"
#include "util/file.hpp"

namespace privsentry {

// run --socket PATH: serves the live feed as NDJSON over a unix socket, so
// privsentry live can attach to a running sensor instead of loading a second
// set of probes. The socket is owner-only and a peer must be root or the
// sensor's own user (SO_PEERCRED). A client that cannot keep up is
// disconnected rather than slowing the sensor down.
class LiveSocketServer {
 public:
  static Expected<std::unique_ptr<LiveSocketServer>> start(const std::filesystem::path& path, LiveFeed& feed);
  ~LiveSocketServer();
  LiveSocketServer(const LiveSocketServer&) = delete;
  LiveSocketServer& operator=(const LiveSocketServer&) = delete;

 private:
  struct Client {
    UniqueFd fd;
    int subscription = 0;
    std::mutex mutex;
    std::string pending;
    bool overflowed = false;
  };

  LiveSocketServer(std::filesystem::path path, LiveFeed& feed);
  void serve();
  void accept_client();
  void wake();

  std::filesystem::path path_;
  LiveFeed& feed_;
  UniqueFd listener_;
  UniqueFd wake_fd_;
  bool stopping_ = false;
  std::mutex clients_mutex_;
  std::map<int, std::shared_ptr<Client>> clients_;
  std::thread thread_;
};

}  // namespace privsentry
