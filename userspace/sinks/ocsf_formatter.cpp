#include "sinks/ocsf_formatter.hpp"

#include "sinks/json_fields.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

struct OcsfSeverity {
  int id;
  const char* caption;
};

OcsfSeverity severity_of(const std::string& severity) {
  if (severity == "critical") {
    return {5, "Critical"};
  }
  if (severity == "high") {
    return {4, "High"};
  }
  if (severity == "medium") {
    return {3, "Medium"};
  }
  if (severity == "low") {
    return {2, "Low"};
  }
  return {1, "Informational"};
}

json metadata(const json& native, const std::string& version, const std::string& kind) {
  return {{"version", kOcsfVersion},
          {"uid", field_string(native, "id")},
          {"log_name", kind},
          {"profiles", json::array({"host", "container"})},
          {"product", {{"name", "privsentry"}, {"vendor_name", "privsentry"}, {"version", version}}}};
}

json device(const json& native) {
  return {{"hostname", field_string(native, "host")},
          {"type_id", 1},
          {"type", "Server"},
          {"os", {{"type_id", 200}, {"type", "Linux"}, {"name", "Linux"}}}};
}

json container(const json& native_container) {
  json out = {{"uid", field_string(native_container, "id")}};
  const auto name = field_string(native_container, "name");
  if (!name.empty()) {
    out["name"] = name;
  }
  const auto image = field_string(native_container, "image");
  if (!image.empty()) {
    out["image"] = {{"name", image}};
  }
  out["runtime"] = field_string(native_container, "runtime");
  const auto pod = field_string(native_container, "pod_uid");
  if (!pod.empty()) {
    out["pod_uuid"] = pod;
  }
  if (!field_object(native_container, "kubernetes").empty()) {
    out["orchestrator"] = "Kubernetes";
  }
  const auto& labels = field_object(native_container, "labels");
  if (!labels.empty()) {
    out["labels"] = json::array();
    for (const auto& [key, value] : labels.items()) {
      out["labels"].push_back(key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
    }
  }
  return out;
}

json process(const json& native_process) {
  json out = json::object();
  if (native_process.contains("pid") && native_process["pid"].is_number_integer()) {
    out["pid"] = native_process["pid"];
  }
  const auto comm = field_string(native_process, "comm");
  if (!comm.empty()) {
    out["name"] = comm;
  }
  const auto filename = field_string(native_process, "filename");
  if (!filename.empty()) {
    const auto slash = filename.rfind('/');
    out["file"] = {{"path", filename},
                   {"name", slash == std::string::npos ? filename : filename.substr(slash + 1)},
                   {"type_id", 1},
                   {"type", "Regular File"}};
  }
  if (native_process.contains("uid") && native_process["uid"].is_number_integer()) {
    out["user"] = {{"uid", std::to_string(native_process["uid"].get<std::int64_t>())}};
  }
  return out;
}

json detection_finding(const json& native, const std::string& version) {
  const auto severity = severity_of(field_string(native, "severity"));
  const auto rule = field_string(native, "rule");
  const auto time = record_time_ms(native);
  const auto& native_container = field_object(native, "container");
  const auto& evidence = field_object(native, "evidence");
  json out;
  out["class_uid"] = 2004;
  out["class_name"] = "Detection Finding";
  out["category_uid"] = 2;
  out["category_name"] = "Findings";
  out["activity_id"] = 1;
  out["activity_name"] = "Create";
  out["type_uid"] = 200401;
  out["type_name"] = "Detection Finding: Create";
  out["time"] = time;
  out["severity_id"] = severity.id;
  out["severity"] = severity.caption;
  out["status_id"] = 1;
  out["status"] = "New";
  out["is_alert"] = true;
  out["message"] = field_string(native, "summary");
  out["metadata"] = metadata(native, version, "finding");
  out["finding_info"] = {
      {"uid", field_string(native, "id")},
      {"title", field_string(native, "title")},
      {"desc", field_string(native, "summary")},
      {"types", json::array({rule})},
      {"created_time", time},
      {"analytic", {{"uid", rule}, {"name", rule}, {"type_id", 1}, {"type", "Rule"}}},
      {"attacks", json::array({{{"technique", {{"uid", "T1611"}, {"name", "Escape to Host"}}},
                                {"tactic", {{"uid", "TA0004"}, {"name", "Privilege Escalation"}}}}})}};
  out["device"] = device(native);
  out["container"] = container(native_container);
  out["resources"] = json::array({{{"uid", field_string(native_container, "id")},
                                   {"name", field_string(native_container, "name")},
                                   {"type", "Container"}}});
  json artifact = {{"container", out["container"]}, {"data", evidence}};
  const auto& capabilities = field_object(evidence, "capabilities");
  const auto proc = process(field_object(capabilities, "process"));
  if (!proc.empty()) {
    artifact["process"] = proc;
  }
  out["evidences"] = json::array({artifact});
  out["unmapped"] = {{"privsentry",
                      {{"rule", rule},
                       {"references", native.contains("references") ? native["references"] : json::object()},
                       {"cgroup", field_string(native_container, "cgroup")}}}};
  if (const auto& kubernetes = field_object(native_container, "kubernetes"); !kubernetes.empty()) {
    // OCSF's container has no namespace or pod name: kept here, as given.
    out["unmapped"]["privsentry"]["kubernetes"] = kubernetes;
  }
  return out;
}

json base_event(const json& native, const std::string& version) {
  const auto kind = field_string(native, "kind");
  const bool loss = kind == "event-loss" || kind == "delivery-loss";
  json out;
  out["class_uid"] = 0;
  out["class_name"] = "Base Event";
  out["category_uid"] = 0;
  out["category_name"] = "Uncategorized";
  out["activity_id"] = 0;
  out["activity_name"] = kind;
  out["type_uid"] = 0;
  out["time"] = record_time_ms(native);
  out["severity_id"] = loss ? 3 : 1;
  out["severity"] = loss ? "Medium" : "Informational";
  out["message"] = "privsentry " + kind;
  out["metadata"] = metadata(native, version, kind);
  out["device"] = device(native);
  if (native.contains("container") && native["container"].is_object()) {
    out["container"] = container(native["container"]);
  }
  out["unmapped"] = {{"privsentry", native}};
  return out;
}

}  // namespace

json to_ocsf(const json& native, const std::string& product_version) {
  if (field_string(native, "kind") == "finding") {
    return detection_finding(native, product_version);
  }
  return base_event(native, product_version);
}

}  // namespace privsentry
