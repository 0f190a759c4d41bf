#pragma once

#include <string_view>

#include "privsentry/oci_bundle.hpp"
#include "util/expected.hpp"

namespace privsentry {

// Reads an OCI runtime spec (a bundle's config.json) for what bears on
// privilege and for the Kubernetes names in its annotations (containerd's
// io.kubernetes.cri.* and CRI-O's io.kubernetes.pod.* and
// io.kubernetes.container.name). `host_bounding` decides "every
// capability": the host cannot grant more. Fills everything but namespace,
// id and config_path; engine only where the annotations name it (podman's
// io.container.manager, CRI-O's own keys).
Expected<OciBundle> parse_oci_spec(std::string_view text, CapabilitySet host_bounding);

}  // namespace privsentry
