// One ring buffer record, as the kernel (or a replayed raw record file) hands
// it over: any length, any bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "decode/event_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const privsentry::EventDecoder decoder;
  (void)decoder.decode(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
  return 0;
}
