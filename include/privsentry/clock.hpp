#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace privsentry {

using WallTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

// Injected wherever time reaches output, so tests are deterministic.
class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual WallTime now() const = 0;
  // Nanoseconds of CLOCK_BOOTTIME, the clock BPF timestamps use.
  [[nodiscard]] virtual std::uint64_t boot_now_ns() const = 0;
  // Converts a CLOCK_BOOTTIME timestamp from the kernel to wall time.
  [[nodiscard]] WallTime wall_from_boot(std::uint64_t boot_ns) const;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] WallTime now() const override;
  [[nodiscard]] std::uint64_t boot_now_ns() const override;
};

// "2026-12-04T20:01:02.345678Z" (RFC 3339, UTC, microseconds).
std::string format_rfc3339(WallTime time);

// Nanoseconds since the epoch of a time format_rfc3339 wrote (fractions of
// any length, the first nine digits count; "Z" only); nullopt for anything
// else.
std::optional<std::int64_t> parse_rfc3339_ns(std::string_view text);
// The same in milliseconds, rounded down.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace privsentry
