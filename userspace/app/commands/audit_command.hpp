#pragma once

#include <string>

#include "app/host_context.hpp"

namespace privsentry {

struct AuditOptions {
  CommonOptions common;
  std::string format = "table";  // or "json"
};

// privsentry audit: one scan of the running containers with kernel (/proc,
// cgroupfs) and Docker evidence. Exit 1 if any high or critical finding, 0 if
// clean, 2 on error or when the audit could not be completed.
int audit_command(const AuditOptions& options);

}  // namespace privsentry
