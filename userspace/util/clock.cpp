#include "privsentry/clock.hpp"

#include <cstdio>
#include <ctime>

namespace privsentry {

WallTime Clock::wall_from_boot(std::uint64_t boot_ns) const {
  const auto boot_now = boot_now_ns();
  const auto wall_now = now();
  if (boot_ns >= boot_now) {
    return wall_now;
  }
  return wall_now - std::chrono::nanoseconds(boot_now - boot_ns);
}

WallTime SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

std::uint64_t SystemClock::boot_now_ns() const {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::string format_rfc3339(WallTime time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - seconds).count();
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof(out), "%.*s.%06lldZ", static_cast<int>(n), buf, static_cast<long long>(micros));
  return out;
}

}  // namespace privsentry
