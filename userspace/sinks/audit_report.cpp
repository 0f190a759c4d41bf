#include "sinks/audit_report.hpp"

#include <algorithm>
#include <sstream>

#include "util/text.hpp"

namespace privsentry {
namespace {

std::string cell(std::string_view text, std::size_t width) {
  std::string out = escape_for_terminal(text);
  if (out.size() > width) {
    out = out.substr(0, width - 1) + "~";
  }
  out.resize(width, ' ');
  return out;
}

std::string json_text(const nlohmann::json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_boolean()) {
    return value.get<bool>() ? "yes" : "no";
  }
  if (value.is_null()) {
    return "?";
  }
  return value.dump();
}

}  // namespace

bool AuditReport::has_high_or_critical() const {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Severity::kHigh || f.severity == Severity::kCritical;
  });
}

std::string render_audit_table(const AuditReport& report) {
  std::ostringstream out;
  out << "privsentry audit of " << escape_for_terminal(report.host) << " at " << format_rfc3339(report.time) << "\n\n";
  out << cell("CONTAINER", 13) << cell("NAME", 20) << cell("IMAGE", 20) << cell("RUNTIME", 11) << cell("PRIVILEGED", 11)
      << cell("CAPABILITIES", 13) << cell("DEVICES", 13) << "VERDICT\n";
  for (const auto& container : report.containers) {
    const auto& posture = container.posture;
    const auto& caps = posture.value("capabilities", nlohmann::json::object());
    std::string capabilities = caps.value("full", false) ? "full"
                                                         : std::to_string(caps.value("held", 0)) + " of " +
                                                               std::to_string(caps.value("host", 0));
    out << cell(container.container.id.substr(0, 12), 13) << cell(container.container.name.value_or("-"), 20)
        << cell(container.container.image.value_or("-"), 20) << cell(container.container.runtime, 11)
        << cell(json_text(posture.value("docker", nlohmann::json::object()).value("privileged", nlohmann::json())), 11)
        << cell(capabilities, 13)
        << cell(json_text(posture.value("devices", nlohmann::json::object()).value("state", nlohmann::json())), 13)
        << escape_for_terminal(json_text(posture.value("verdict", nlohmann::json()))) << "\n";
  }
  if (report.containers.empty()) {
    out << "(no containers)\n";
  }
  out << "\n";
  if (report.findings.empty()) {
    out << "No findings.\n";
  } else {
    out << cell("SEVERITY", 10) << cell("RULE", 27) << cell("CONTAINER", 13) << "SUMMARY\n";
    for (const auto& finding : report.findings) {
      out << cell(to_string(finding.severity), 10) << cell(finding.rule, 27)
          << cell(finding.container.id.substr(0, 12), 13) << escape_for_terminal(finding.summary, 200) << "\n";
    }
  }
  for (const auto& warning : report.warnings) {
    out << "warning: " << escape_for_terminal(warning, 300) << "\n";
  }
  return out.str();
}

nlohmann::json audit_json(const AuditReport& report, const NativeJsonEncoder& encoder) {
  nlohmann::json out;
  out["kind"] = "audit";
  out["time"] = format_rfc3339(report.time);
  out["host"] = report.host;
  out["complete"] = report.warnings.empty();
  out["warnings"] = report.warnings;
  out["containers"] = nlohmann::json::array();
  for (const auto& container : report.containers) {
    auto record = encoder.encode(container);
    record.erase("host");
    out["containers"].push_back(std::move(record));
  }
  out["findings"] = nlohmann::json::array();
  for (const auto& finding : report.findings) {
    auto record = encoder.encode(finding);
    record.erase("host");
    out["findings"].push_back(std::move(record));
  }
  return out;
}

}  // namespace privsentry
