#include "sinks/cef_formatter.hpp"

#include "sinks/json_fields.hpp"
#include "util/text.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

int cef_severity(const std::string& severity) {
  if (severity == "critical") {
    return 10;
  }
  if (severity == "high") {
    return 8;
  }
  if (severity == "medium") {
    return 5;
  }
  if (severity == "low") {
    return 3;
  }
  return 1;
}

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

}  // namespace

std::string cef_escape_header(std::string_view value) {
  std::string out;
  for (const char c : sanitize_utf8(value)) {
    if (c == '\\' || c == '|') {
      out.push_back('\\');
      out.push_back(c);
    } else if (is_control(c)) {
      out.push_back(c == '\n' || c == '\r' ? ' ' : '?');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string cef_escape_value(std::string_view value) {
  std::string out;
  for (const char c : sanitize_utf8(value)) {
    if (c == '\\' || c == '=') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (is_control(c)) {
      out.push_back('?');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string to_cef(const json& native, const std::string& product_version) {
  const auto kind = field_string(native, "kind");
  const bool finding = kind == "finding";
  const auto& container = field_object(native, "container");
  const std::string signature = finding ? field_string(native, "rule") : kind;
  const std::string name = finding ? field_string(native, "title") : "privsentry " + kind;
  const int severity = finding ? cef_severity(field_string(native, "severity"))
                       : (kind == "event-loss" || kind == "delivery-loss") ? 5
                                                                           : 1;

  std::string line = "CEF:0|privsentry|privsentry|" + cef_escape_header(product_version) + "|" +
                     cef_escape_header(signature) + "|" + cef_escape_header(name) + "|" + std::to_string(severity) +
                     "|";
  bool first = true;
  auto add = [&](std::string_view key, std::string_view value) {
    if (value.empty()) {
      return;
    }
    if (!first) {
      line.push_back(' ');
    }
    first = false;
    line += key;
    line.push_back('=');
    line += cef_escape_value(value);
  };
  add("rt", std::to_string(record_time_ms(native)));
  add("dvchost", field_string(native, "host"));
  add("externalId", field_string(native, "id"));
  add("cat", kind);
  if (finding) {
    add("msg", field_string(native, "summary"));
    add("cs1Label", "containerId");
    add("cs1", field_string(container, "id"));
    add("cs2Label", "containerName");
    add("cs2", field_string(container, "name"));
    add("cs3Label", "containerImage");
    add("cs3", field_string(container, "image"));
    add("cs4Label", "rule");
    add("cs4", signature);
    add("cs5Label", "containerRuntime");
    add("cs5", field_string(container, "runtime"));
    add("cs6Label", "mitreAttack");
    add("cs6", "T1611");
    // The pod's namespace and name, for routing; the six custom strings are taken.
    const auto& kubernetes = field_object(container, "kubernetes");
    if (!kubernetes.empty()) {
      add("flexString1Label", "k8sNamespace");
      add("flexString1", field_string(kubernetes, "namespace"));
      add("flexString2Label", "k8sPod");
      add("flexString2", field_string(kubernetes, "pod"));
    }
    const auto& process = field_object(field_object(field_object(native, "evidence"), "capabilities"), "process");
    const auto pid = field_int(process, "pid", -1);
    if (pid >= 0) {
      add("dpid", std::to_string(pid));
    }
    add("dproc", field_string(process, "comm"));
    const auto& use = field_object(field_object(native, "evidence"), "capability_use");
    add("act", field_string(use, "capability"));
  } else {
    add("msg", native.dump(-1, ' ', true, json::error_handler_t::replace));
    if (!container.empty()) {
      add("cs1Label", "containerId");
      add("cs1", field_string(container, "id"));
      add("cs2Label", "containerName");
      add("cs2", field_string(container, "name"));
    }
  }
  return line;
}

}  // namespace privsentry
