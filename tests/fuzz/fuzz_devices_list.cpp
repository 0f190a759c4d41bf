// cgroup v1 devices.list, as the kernel writes it (a hostile cgroupfs or a
// future kernel could write anything).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enrich/devices_list_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto rules = privsentry::parse_devices_list(text)) {
    (void)privsentry::allows_every_device(*rules);
  }
  return 0;
}
