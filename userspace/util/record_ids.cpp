#include "util/record_ids.hpp"

#include <sys/random.h>

#include <chrono>
#include <cstdio>

namespace privsentry {

RecordIds::RecordIds() : prefix_(0) {
  if (::getrandom(&prefix_, sizeof(prefix_), 0) != static_cast<ssize_t>(sizeof(prefix_))) {
    // No entropy yet (early boot): the clock still differs between runs.
    prefix_ = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  }
}

RecordIds::RecordIds(std::uint64_t prefix) : prefix_(prefix) {}

std::string RecordIds::next() {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(prefix_),
                static_cast<unsigned long long>(counter_.fetch_add(1, std::memory_order_relaxed)));
  return buf;
}

}  // namespace privsentry
