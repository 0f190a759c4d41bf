#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>

namespace privsentry {

using RecordHandler = std::function<void(std::span<const std::byte>)>;

// Where raw kernel records come from: the BPF ring buffer when running, a
// file or a test's bytes otherwise. Everything above consumes the same bytes.
class EventSource {
 public:
  virtual ~EventSource() = default;
  // Hands every available record to handler, waiting up to timeout for the
  // first. Returns how many were handed on.
  virtual int poll(std::chrono::milliseconds timeout, const RecordHandler& handler) = 0;
  // A descriptor that becomes readable when records wait, or -1.
  [[nodiscard]] virtual int fd() const = 0;
};

}  // namespace privsentry
