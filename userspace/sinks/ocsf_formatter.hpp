#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace privsentry {

inline constexpr const char* kOcsfVersion = "1.3.0";

// OCSF 1.3: a finding becomes a Detection Finding (class_uid 2004) with the
// host and container profiles (device, container), finding_info with the
// rule as analytic and MITRE ATT&CK T1611, and the kernel's evidence under
// evidences; any other record becomes a Base Event (class_uid 0) that keeps
// the native record in unmapped.
nlohmann::json to_ocsf(const nlohmann::json& native, const std::string& product_version);

}  // namespace privsentry
