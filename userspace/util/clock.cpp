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

std::optional<std::int64_t> parse_rfc3339_ns(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text.back() != 'Z') {
    return std::nullopt;
  }
  auto number = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int value = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return std::nullopt;
      }
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const auto year = number(0, 4);
  const auto month = number(5, 2);
  const auto day = number(8, 2);
  const auto hour = number(11, 2);
  const auto minute = number(14, 2);
  const auto second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12 || *day < 1 || *day > 31 ||
      *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::int64_t nanos = 0;
  const std::size_t end = text.size() - 1;
  if (end > 19) {
    if (text[19] != '.' || end == 20) {
      return std::nullopt;
    }
    int digits = 0;
    for (std::size_t i = 20; i < end; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return std::nullopt;
      }
      if (digits < 9) {
        nanos = nanos * 10 + (text[i] - '0');
        ++digits;
      }
    }
    while (digits++ < 9) {
      nanos *= 10;
    }
  }
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  const std::time_t seconds = ::timegm(&tm);
  return static_cast<std::int64_t>(seconds) * 1'000'000'000 + nanos;
}

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
  const auto ns = parse_rfc3339_ns(text);
  if (!ns) {
    return std::nullopt;
  }
  // Floor, also before 1970.
  return *ns >= 0 ? *ns / 1'000'000 : -((-*ns + 999'999) / 1'000'000);
}

}  // namespace privsentry
