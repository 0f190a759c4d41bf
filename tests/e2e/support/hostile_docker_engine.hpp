#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace privsentry::e2e {

// A Docker Engine API socket that answers the sensor's inspect requests
// badly, one way at a time; /version, /containers/json and /events answer as
// the engine would (the event stream stays open and quiet). The real engine
// still runs the containers; only the sensor talks to this one.
class HostileDockerEngine {
 public:
  enum class Inspect {
    kStall,      // reads the request and never answers
    kTruncated,  // promises 4096 bytes, sends part of a JSON object, hangs up
    kHuge,       // a 1 GiB body, streamed until the reader goes away
    kDeep,       // 100000 nested arrays
    kNotJson,    // HTML with escape sequences
  };

  explicit HostileDockerEngine(std::filesystem::path socket);
  ~HostileDockerEngine();
  HostileDockerEngine(const HostileDockerEngine&) = delete;
  HostileDockerEngine& operator=(const HostileDockerEngine&) = delete;

  void set_inspect(Inspect mode) { mode_ = mode; }
  [[nodiscard]] std::string uri() const { return "unix://" + socket_.string(); }
  // Request lines seen ("GET /containers/<id>/json HTTP/1.1").
  [[nodiscard]] std::vector<std::string> requests() const;
  // Bytes of the huge answer the reader took before it hung up.
  [[nodiscard]] std::uint64_t huge_bytes_sent() const { return huge_sent_; }

 private:
  void serve();
  void handle(int client);
  bool wait_readable(int fd) const;

  std::filesystem::path socket_;
  int listener_ = -1;
  std::atomic<bool> running_{true};
  std::atomic<Inspect> mode_{Inspect::kStall};
  std::atomic<std::uint64_t> huge_sent_{0};
  std::thread thread_;
  std::vector<std::thread> clients_;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
};

}  // namespace privsentry::e2e
