#include "sinks/syslog_formatter.hpp"

#include <cstdio>

#include "sinks/json_fields.hpp"
#include "util/text.hpp"

namespace privsentry {
namespace {

// HOSTNAME, APP-NAME and MSGID are PRINTUSASCII without spaces, bounded.
std::string header_token(std::string_view value, std::size_t max) {
  std::string out;
  for (const char c : value.substr(0, max)) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte > 0x20 && byte < 0x7f ? c : '_');
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string syslog_param_value(std::string_view value) {
  std::string out;
  for (const char c : sanitize_utf8(value)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == ']') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\\\u%04x", byte);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

int syslog_severity(const nlohmann::json& native) {
  const auto kind = field_string(native, "kind");
  if (kind == "finding") {
    const auto severity = field_string(native, "severity");
    return severity == "critical" ? 2 : severity == "high" ? 3 : severity == "medium" ? 4 : 5;
  }
  if (kind == "event-loss" || kind == "delivery-loss") {
    return 4;
  }
  return 6;
}

SyslogFormatter::SyslogFormatter(int facility, int pid) : facility_(facility), pid_(pid) {}

std::string SyslogFormatter::frame(const nlohmann::json& native, std::string_view message) const {
  const auto kind = field_string(native, "kind");
  const auto& container = field_object(native, "container");
  std::string out = "<" + std::to_string(facility_ * 8 + syslog_severity(native)) + ">1 ";
  const auto time = field_string(native, "time");
  out += header_token(time.empty() ? "-" : time, 64) + " ";
  out += header_token(field_string(native, "host"), 255) + " privsentry " + std::to_string(pid_) + " ";
  out += header_token(kind, 32) + " ";

  out += "[privsentry@32473";
  auto param = [&](const char* name, const std::string& value) {
    if (!value.empty()) {
      out += " ";
      out += name;
      out += "=\"" + syslog_param_value(value) + "\"";
    }
  };
  param("id", field_string(native, "id"));
  param("kind", kind);
  param("rule", field_string(native, "rule"));
  param("severity", field_string(native, "severity"));
  param("container_id", field_string(container, "id"));
  param("container_name", field_string(container, "name"));
  param("image", field_string(container, "image"));
  param("runtime", field_string(container, "runtime"));
  out += "] ";
  out += message;
  return out;
}

}  // namespace privsentry
