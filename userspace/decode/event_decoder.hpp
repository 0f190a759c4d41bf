#pragma once

#include <cstddef>
#include <span>

#include "privsentry/kernel_event.hpp"
#include "util/expected.hpp"

namespace privsentry {

// Turns one ring buffer record into a typed event. The record's bytes are
// checked (length, header size, ABI version, type) and copied out with memcpy;
// nothing is cast in place.
class EventDecoder {
 public:
  [[nodiscard]] Expected<KernelEvent> decode(std::span<const std::byte> record) const;
};

}  // namespace privsentry
