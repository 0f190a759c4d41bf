#pragma once

#include <chrono>
#include <cstdint>

#include "privsentry/clock.hpp"

namespace privsentry::test {

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  [[nodiscard]] WallTime now() const override { return WallTime(std::chrono::seconds(1'796'400'000)) + offset_; }
  [[nodiscard]] std::uint64_t boot_now_ns() const override {
    return 1'000'000'000ULL + static_cast<std::uint64_t>(offset_.count());
  }
  void advance(std::chrono::nanoseconds by) { offset_ += by; }

 private:
  std::chrono::nanoseconds offset_{0};
};

}  // namespace privsentry::test
