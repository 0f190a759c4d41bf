#include "sinks/native_json_encoder.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

json base(std::string_view kind, WallTime time, const std::string& host) {
  json out;
  out["kind"] = kind;
  out["time"] = format_rfc3339(time);
  out["host"] = host;
  return out;
}

json optional_string(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

}  // namespace

json container_json(const ContainerSnapshot& container) {
  json out;
  out["id"] = container.id;
  out["name"] = optional_string(container.name);
  out["image"] = optional_string(container.image);
  out["runtime"] = container.runtime;
  out["cgroup"] = container.cgroup;
  if (!container.oci_runtime.empty()) {
    out["oci_runtime"] = container.oci_runtime;
  }
  if (!container.pod_uid.empty()) {
    out["pod_uid"] = container.pod_uid;
  }
  if (!container.kubernetes.empty()) {
    // Where a SIEM routes by: the pod's namespace first.
    out["kubernetes"] = {{"namespace", container.kubernetes.pod_namespace},
                         {"pod", container.kubernetes.pod_name},
                         {"pod_uid", container.kubernetes.pod_uid},
                         {"container", container.kubernetes.container_name}};
  }
  out["labels"] = container.labels;
  if (container.labels_truncated) {
    out["labels_truncated"] = true;
  }
  return out;
}

NativeJsonEncoder::NativeJsonEncoder(std::string host) : host_(std::move(host)) {}

json NativeJsonEncoder::encode(const OutputRecord& record) const {
  if (const auto* finding = std::get_if<Finding>(&record)) {
    json out = base("finding", finding->time, host_);
    out["id"] = finding->id;
    out["rule"] = finding->rule;
    out["severity"] = to_string(finding->severity);
    out["title"] = finding->title;
    out["summary"] = finding->summary;
    out["references"] = {{"cis_docker_benchmark", "5.4"}, {"mitre_attack", json::array({"T1611"})}};
    out["container"] = container_json(finding->container);
    out["evidence"] = finding->evidence;
    return out;
  }
  if (const auto* lifecycle = std::get_if<ContainerLifecycle>(&record)) {
    const bool start = lifecycle->kind == ContainerLifecycle::Kind::kStart;
    json out = base(start ? "container-start" : "container-exit", lifecycle->time, host_);
    out["id"] = lifecycle->id;
    out["container"] = container_json(lifecycle->container);
    out["posture"] = lifecycle->posture;
    if (start) {
      out["observed_by"] = lifecycle->observed_by;
    } else {
      out["capabilities_used"] = lifecycle->capabilities_used;
      out["findings"] = lifecycle->findings;
    }
    return out;
  }
  const auto& status = std::get<SensorStatus>(record);
  std::string_view kind;
  switch (status.kind) {
    case SensorStatus::Kind::kStart:
      kind = "sensor-start";
      break;
    case SensorStatus::Kind::kStop:
      kind = "sensor-stop";
      break;
    case SensorStatus::Kind::kDockerState:
      kind = "docker-state";
      break;
    case SensorStatus::Kind::kEventLoss:
      kind = "event-loss";
      break;
    case SensorStatus::Kind::kDeliveryLoss:
      kind = "delivery-loss";
      break;
  }
  json out = base(kind, status.time, host_);
  out["id"] = status.id;
  if (status.details.is_object()) {
    for (const auto& [key, value] : status.details.items()) {
      if (!out.contains(key)) {
        out[key] = value;
      }
    }
  }
  return out;
}

std::string dump_safe(const json& value) { return value.dump(-1, ' ', true, json::error_handler_t::replace); }

std::string NativeJsonEncoder::encode_line(const OutputRecord& record) const { return dump_safe(encode(record)); }

}  // namespace privsentry
