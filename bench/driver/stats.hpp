#pragma once

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace privsentry::bench {

// The value below which a fraction q of the samples lie (nearest rank).
inline double percentile(std::vector<double> samples, double q) {
  if (samples.empty()) {
    throw std::invalid_argument("percentile of no samples");
  }
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
  return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
}

inline double median(std::vector<double> samples) {
  if (samples.empty()) {
    throw std::invalid_argument("median of no samples");
  }
  std::sort(samples.begin(), samples.end());
  const auto n = samples.size();
  return n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2.0;
}

}  // namespace privsentry::bench
