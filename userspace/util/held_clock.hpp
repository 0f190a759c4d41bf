#pragma once

#include <optional>

#include "privsentry/clock.hpp"

namespace privsentry {

// The real clock, held still while one input (a kernel record, a Docker
// answer, a tick) is handled. Everything decided from that input carries the
// time the record file stamps on it, so a replay reproduces the times too,
// not only the decisions.
class HeldClock final : public Clock {
 public:
  explicit HeldClock(const Clock& source) : source_(source) {}

  [[nodiscard]] WallTime now() const override { return held_ ? *held_ : source_.now(); }
  [[nodiscard]] std::uint64_t boot_now_ns() const override { return source_.boot_now_ns(); }

  // Holds the time from now until the returned guard goes.
  class Hold {
   public:
    explicit Hold(HeldClock& clock) : clock_(clock) { clock_.held_ = clock_.source_.now(); }
    ~Hold() { clock_.held_.reset(); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;

   private:
    HeldClock& clock_;
  };
  [[nodiscard]] Hold hold() { return Hold(*this); }

 private:
  const Clock& source_;
  std::optional<WallTime> held_;
};

}  // namespace privsentry
