// The Docker Engine API's answers: inspect, list, version and /events lines.
// The first byte picks the parser, the rest is the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "enrich/docker_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      if (auto info = privsentry::parse_docker_inspect(body); info && info->id.size() > body.size()) {
        std::abort();
      }
      break;
    case 1:
      (void)privsentry::parse_docker_container_list(body);
      break;
    case 2:
      (void)privsentry::parse_docker_version(body);
      break;
    default:
      (void)privsentry::parse_docker_event(body);
      break;
  }
  return 0;
}
