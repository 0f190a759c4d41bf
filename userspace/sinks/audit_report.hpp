#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "privsentry/output_record.hpp"
#include "sinks/native_json_encoder.hpp"

namespace privsentry {

// The result of one audit: the containers found (their container-start
// records) and the findings raised.
struct AuditReport {
  std::string host;
  WallTime time;
  std::vector<ContainerLifecycle> containers;
  std::vector<Finding> findings;
  std::vector<std::string> warnings;  // what kept the audit from being complete

  [[nodiscard]] bool has_high_or_critical() const;
};

// A table for a terminal: every string from a container is escaped, long
// fields are cut to fit.
std::string render_audit_table(const AuditReport& report);

// One JSON document: {"kind":"audit", ..., "containers":[...], "findings":[...]}.
nlohmann::json audit_json(const AuditReport& report, const NativeJsonEncoder& encoder);

}  // namespace privsentry
