#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace privsentry {

// RFC 5424 messages: <PRI>1 TIMESTAMP HOSTNAME privsentry PROCID MSGID [SD] MSG
// The record's key fields go into the structured data element
// privsentry@32473 (32473 is the enterprise number RFC 5612 reserves for
// documentation: receivers key on the SD-ID, not the number); MSG is the
// record in the sink's format.
class SyslogFormatter {
 public:
  SyslogFormatter(int facility, int pid);
  [[nodiscard]] std::string frame(const nlohmann::json& native, std::string_view message) const;

 private:
  int facility_;
  int pid_;
};

// A PARAM-VALUE: '"', '\' and ']' backslash-escaped as RFC 5424 requires;
// control characters written as the text \u00XX (its backslash escaped), and
// invalid UTF-8 as U+FFFD.
std::string syslog_param_value(std::string_view value);

// RFC 5424 severity for a native record (critical 2, high 3, medium 4, 5, 6).
int syslog_severity(const nlohmann::json& native);

}  // namespace privsentry
