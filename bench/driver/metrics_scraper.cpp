#include "metrics_scraper.hpp"

#include <curl/curl.h>

#include <memory>
#include <sstream>

namespace privsentry::bench {
namespace {

std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

std::optional<std::map<std::string, double>> MetricsScraper::scrape() const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    return std::nullopt;
  }
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 2000L);
  long status = 0;
  if (curl_easy_perform(curl.get()) != CURLE_OK ||
      curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
    return std::nullopt;
  }
  std::map<std::string, double> values;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const auto space = line.rfind(' ');
    if (space == std::string::npos) {
      continue;
    }
    try {
      values[line.substr(0, space)] = std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      // Not a sample line.
    }
  }
  return values;
}

double kernel_counter(const std::map<std::string, double>& metrics, const std::string& probe,
                      const std::string& outcome) {
  const auto it = metrics.find("privsentry_kernel_events_total{probe=\"" + probe + "\",outcome=\"" + outcome + "\"}");
  return it == metrics.end() ? 0.0 : it->second;
}

}  // namespace privsentry::bench
