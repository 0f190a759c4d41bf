#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;

namespace privsentry::e2e {

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// An HTTP/1.1 receiver on 127.0.0.1 (optionally HTTPS), standing in for
// Splunk HEC, Elasticsearch and webhooks, which do not run here. It keeps
// every request; it answers as the real ones do (HEC's {"code":0}, _bulk's
// per-item statuses). stop() closes it; start() opens it again on the same
// port.
class HttpReceiver {
 public:
  HttpReceiver(std::uint16_t port, const std::filesystem::path& cert = {}, const std::filesystem::path& key = {});
  ~HttpReceiver();

  void start();
  void stop();
  [[nodiscard]] std::vector<HttpRequest> requests() const;
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  void serve();
  void handle(int client);

  std::uint16_t port_;
  SSL_CTX* ctx_ = nullptr;
  int listener_ = -1;
  std::atomic<bool> running_{false};
  std::thread thread_;
  std::vector<std::thread> clients_;
  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
};

}  // namespace privsentry::e2e
