// The cgroup path parser: paths come from the kernel's cgroup_mkdir records
// and /proc/<pid>/cgroup, and a container's runtime chooses them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "state/cgroup_path_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view path(reinterpret_cast<const char*>(data), size);
  if (const auto ref = privsentry::parse_container_cgroup(path)) {
    // An id is always part of the path it came from, never made up.
    if (ref->id.empty() || path.find(ref->id) == std::string_view::npos) {
      std::abort();
    }
  }
  return 0;
}
