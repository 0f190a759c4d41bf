// OCI bundles: whoever creates a pod or a container writes much of them
// (annotations, device rules, paths).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enrich/oci_spec_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)privsentry::parse_oci_spec(std::string_view(reinterpret_cast<const char*>(data), size),
                                   privsentry::CapabilitySet(0x1fffeffffffULL));
  return 0;
}
