#pragma once

#include <nlohmann/json.hpp>

#include "privsentry/finding.hpp"
#include "state/container.hpp"
#include "state/host_facts.hpp"

namespace privsentry {

// The kernel's and the engine's evidence about a container, as JSON. Strings
// stay raw here; the encoders escape them for their format.
nlohmann::json docker_evidence(const Container& container);
nlohmann::json capability_evidence(const ProcessInfo& process, const HostFacts& facts);
nlohmann::json device_evidence(const DeviceVerdict& devices);
nlohmann::json bundle_evidence(const OciBundle& bundle);

// The capability evidence of the container's most privileged known process.
nlohmann::json container_capability_evidence(const Container& container, const HostFacts& facts);

// Who the container is, for every record about it.
ContainerSnapshot snapshot_of(const Container& container);

// A stable id for a finding: the same host, container, rule and qualifier give
// the same id, so receivers and restarts can drop duplicates.
std::string finding_id(const std::string& host, const Container& container, std::string_view rule,
                       std::string_view qualifier);

}  // namespace privsentry
