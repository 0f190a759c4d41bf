#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "privsentry/docker_info.hpp"
#include "util/expected.hpp"

namespace privsentry {

// Docker answers are parsed defensively: the engine, or whatever answers on
// its socket, may send malformed, truncated, huge or deeply nested JSON.
inline constexpr std::size_t kMaxDockerJsonDepth = 64;

// True if brackets nest deeper than max_depth (strings are skipped), checked
// before parsing so a hostile answer cannot exhaust the stack.
bool json_nesting_exceeds(std::string_view text, std::size_t max_depth);

// GET /containers/{id}/json. Fails with a reason when the answer is not JSON,
// lacks Id, or has Privileged that is not a boolean.
Expected<DockerContainerInfo> parse_docker_inspect(std::string_view body);

// GET /containers/json: the ids of the listed containers.
Expected<std::vector<std::string>> parse_docker_container_list(std::string_view body);

// GET /version: "<Version> (API <ApiVersion>)".
Expected<std::string> parse_docker_version(std::string_view body);

// One line of GET /events.
struct DockerEvent {
  std::string type;    // "container", "network", ...
  std::string action;  // "create", "start", "die", "destroy", ...
  std::string id;      // Actor.ID
  std::int64_t time_nano = 0;
};

Expected<DockerEvent> parse_docker_event(std::string_view line);

}  // namespace privsentry
