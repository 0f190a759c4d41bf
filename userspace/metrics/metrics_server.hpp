#pragma once

#include <functional>
#include <string>
#include <thread>

#include "util/expected.hpp"
#include "util/file.hpp"

namespace privsentry {

// Serves GET /metrics (Prometheus text format 0.0.4) on one address, from its
// own thread. render is called per scrape, on that thread.
class MetricsServer {
 public:
  static Expected<std::unique_ptr<MetricsServer>> start(const std::string& listen, std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  MetricsServer() = default;
  void serve();
  void answer(int client);

  UniqueFd listener_;
  UniqueFd stop_;
  std::uint16_t port_ = 0;
  std::function<std::string()> render_;
  std::thread thread_;
};

// A Prometheus label value: backslash, quote and newline escaped.
std::string prometheus_label(std::string_view value);

}  // namespace privsentry
