#pragma once

#include <map>
#include <optional>
#include <string>

namespace privsentry::bench {

// Reads privsentry's Prometheus /metrics (libcurl) into name{labels} ->
// value.
class MetricsScraper {
 public:
  explicit MetricsScraper(std::string url) : url_(std::move(url)) {}
  // nullopt while the endpoint does not answer.
  [[nodiscard]] std::optional<std::map<std::string, double>> scrape() const;

 private:
  std::string url_;
};

// A kernel counter: privsentry_kernel_events_total{probe,outcome}, 0 if absent.
double kernel_counter(const std::map<std::string, double>& metrics, const std::string& probe,
                      const std::string& outcome);

}  // namespace privsentry::bench
