// The device helper's answer: the sensor decodes bytes another process
// wrote, so no length in them may be trusted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/device_program_wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto decoded = privsentry::decode_device_programs(std::string_view(reinterpret_cast<const char*>(data), size));
  if (decoded && *decoded) {
    // What decodes encodes back to the same bytes.
    if (privsentry::encode_device_programs(*decoded) != std::string_view(reinterpret_cast<const char*>(data), size)) {
      __builtin_trap();
    }
  }
  return 0;
}
