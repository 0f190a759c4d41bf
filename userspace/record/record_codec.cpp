#include "record/record_codec.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

template <typename T>
T get_or(const json& object, const char* key, T fallback) {
  if (!object.is_object()) {
    return fallback;
  }
  const auto it = object.find(key);
  if (it == object.end()) {
    return fallback;
  }
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

json info_json(const DockerContainerInfo& info) {
  json devices = json::array();
  for (const auto& d : info.devices) {
    devices.push_back({{"path_on_host", d.path_on_host},
                       {"path_in_container", d.path_in_container},
                       {"cgroup_permissions", d.cgroup_permissions}});
  }
  return {{"id", info.id},
          {"name", info.name},
          {"image", info.image},
          {"image_id", info.image_id},
          {"oci_runtime", info.oci_runtime},
          {"privileged", info.privileged},
          {"cap_add", info.cap_add},
          {"cap_drop", info.cap_drop},
          {"devices", devices},
          {"device_cgroup_rules", info.device_cgroup_rules},
          {"security_opt", info.security_opt},
          {"pid_mode", info.pid_mode},
          {"userns_mode", info.userns_mode},
          {"cgroup_parent", info.cgroup_parent},
          {"labels", info.labels},
          {"pid", info.pid},
          {"running", info.running}};
}

DockerContainerInfo info_from_json(const json& j) {
  DockerContainerInfo info;
  info.id = get_or<std::string>(j, "id", "");
  info.name = get_or<std::string>(j, "name", "");
  info.image = get_or<std::string>(j, "image", "");
  info.image_id = get_or<std::string>(j, "image_id", "");
  info.oci_runtime = get_or<std::string>(j, "oci_runtime", "");
  info.privileged = get_or<bool>(j, "privileged", false);
  info.cap_add = get_or<std::vector<std::string>>(j, "cap_add", {});
  info.cap_drop = get_or<std::vector<std::string>>(j, "cap_drop", {});
  if (j.contains("devices") && j["devices"].is_array()) {
    for (const auto& d : j["devices"]) {
      info.devices.push_back({get_or<std::string>(d, "path_on_host", ""),
                              get_or<std::string>(d, "path_in_container", ""),
                              get_or<std::string>(d, "cgroup_permissions", "")});
    }
  }
  info.device_cgroup_rules = get_or<std::vector<std::string>>(j, "device_cgroup_rules", {});
  info.security_opt = get_or<std::vector<std::string>>(j, "security_opt", {});
  info.pid_mode = get_or<std::string>(j, "pid_mode", "");
  info.userns_mode = get_or<std::string>(j, "userns_mode", "");
  info.cgroup_parent = get_or<std::string>(j, "cgroup_parent", "");
  info.labels = get_or<std::map<std::string, std::string>>(j, "labels", {});
  info.pid = get_or<std::uint32_t>(j, "pid", 0);
  info.running = get_or<bool>(j, "running", false);
  return info;
}

json task_json(const TaskInfo& t) {
  return {{"pid", t.pid},
          {"tgid", t.tgid},
          {"ppid", t.ppid},
          {"ns_pid", t.ns_pid},
          {"uid", t.uid},
          {"euid", t.euid},
          {"pidns", t.pidns},
          {"mntns", t.mntns},
          {"pidns_level", t.pidns_level},
          {"cgroup_id", t.cgroup_id},
          {"runtime_image", t.runtime_image},
          {"host_namespaces", t.host_namespaces},
          {"container_cgroup", t.container_cgroup},
          {"comm", t.comm}};
}

TaskInfo task_from_json(const json& j) {
  TaskInfo t;
  t.pid = get_or<std::uint32_t>(j, "pid", 0);
  t.tgid = get_or<std::uint32_t>(j, "tgid", 0);
  t.ppid = get_or<std::uint32_t>(j, "ppid", 0);
  t.ns_pid = get_or<std::uint32_t>(j, "ns_pid", 0);
  t.uid = get_or<std::uint32_t>(j, "uid", 0);
  t.euid = get_or<std::uint32_t>(j, "euid", 0);
  t.pidns = get_or<std::uint32_t>(j, "pidns", 0);
  t.mntns = get_or<std::uint32_t>(j, "mntns", 0);
  t.pidns_level = get_or<std::uint32_t>(j, "pidns_level", 0);
  t.cgroup_id = get_or<std::uint64_t>(j, "cgroup_id", 0);
  t.runtime_image = get_or<bool>(j, "runtime_image", false);
  t.host_namespaces = get_or<bool>(j, "host_namespaces", false);
  t.container_cgroup = get_or<bool>(j, "container_cgroup", false);
  t.comm = get_or<std::string>(j, "comm", "");
  return t;
}

json caps_json(const CapabilitySets& c) {
  return {{"effective", c.effective.bits()},
          {"permitted", c.permitted.bits()},
          {"inheritable", c.inheritable.bits()},
          {"bounding", c.bounding.bits()},
          {"ambient", c.ambient.bits()}};
}

CapabilitySets caps_from_json(const json& j) {
  return {
      CapabilitySet(get_or<std::uint64_t>(j, "effective", 0)), CapabilitySet(get_or<std::uint64_t>(j, "permitted", 0)),
      CapabilitySet(get_or<std::uint64_t>(j, "inheritable", 0)), CapabilitySet(get_or<std::uint64_t>(j, "bounding", 0)),
      CapabilitySet(get_or<std::uint64_t>(j, "ambient", 0))};
}

}  // namespace

json docker_update_json(const DockerUpdate& update) {
  return {{"kind", static_cast<int>(update.kind)},
          {"id", update.id},
          {"info", info_json(update.info)},
          {"message", update.message}};
}

Expected<DockerUpdate> docker_update_from_json(const json& j) {
  const int kind = get_or<int>(j, "kind", -1);
  if (kind < static_cast<int>(DockerUpdate::Kind::kConnected) ||
      kind > static_cast<int>(DockerUpdate::Kind::kDestroyed)) {
    return Error{"a Docker entry with an unknown kind"};
  }
  DockerUpdate update;
  update.kind = static_cast<DockerUpdate::Kind>(kind);
  update.id = get_or<std::string>(j, "id", "");
  update.info = info_from_json(j.value("info", json::object()));
  update.message = get_or<std::string>(j, "message", "");
  return update;
}

json scanned_process_json(const ScannedProcess& scanned) {
  json cgroups = json::array();
  for (const auto& c : scanned.cgroups) {
    cgroups.push_back({{"cgroup_id", c.cgroup_id},
                       {"hierarchy_id", c.hierarchy_id},
                       {"path", c.path},
                       {"pid", c.pid},
                       {"tgid", c.tgid},
                       {"timestamp_ns", c.timestamp_ns}});
  }
  return {{"cgroups", cgroups},
          {"task", task_json(scanned.process.task)},
          {"caps", caps_json(scanned.process.caps)},
          {"filename", scanned.process.filename},
          {"timestamp_ns", scanned.process.timestamp_ns}};
}

Expected<ScannedProcess> scanned_process_from_json(const json& j) {
  if (!j.is_object() || !j.contains("task")) {
    return Error{"a scan entry without a task"};
  }
  ScannedProcess scanned;
  if (j.contains("cgroups") && j["cgroups"].is_array()) {
    for (const auto& c : j["cgroups"]) {
      CgroupEvent event;
      event.action = CgroupAction::kMkdir;
      event.cgroup_id = get_or<std::uint64_t>(c, "cgroup_id", 0);
      event.hierarchy_id = get_or<std::uint32_t>(c, "hierarchy_id", 0);
      event.path = get_or<std::string>(c, "path", "");
      event.pid = get_or<std::uint32_t>(c, "pid", 0);
      event.tgid = get_or<std::uint32_t>(c, "tgid", 0);
      event.timestamp_ns = get_or<std::uint64_t>(c, "timestamp_ns", 0);
      scanned.cgroups.push_back(std::move(event));
    }
  }
  scanned.process.task = task_from_json(j["task"]);
  scanned.process.caps = caps_from_json(j.value("caps", json::object()));
  scanned.process.filename = get_or<std::string>(j, "filename", "");
  scanned.process.timestamp_ns = get_or<std::uint64_t>(j, "timestamp_ns", 0);
  return scanned;
}

json device_answer_json(const DeviceQuery& query, const DeviceVerdict& verdict) {
  return {{"query", {{"pid", query.pid}, {"cgroup_path", query.cgroup_path}}},
          {"verdict",
           {{"state", static_cast<int>(verdict.state)},
            {"source", verdict.source},
            {"path", verdict.path},
            {"rules", verdict.rules},
            {"program_ids", verdict.program_ids},
            {"allowed", verdict.allowed},
            {"detail", verdict.detail}}}};
}

Expected<DeviceAnswer> device_answer_from_json(const json& j) {
  if (!j.is_object() || !j.contains("verdict")) {
    return Error{"a device entry without a verdict"};
  }
  DeviceAnswer answer;
  const auto& q = j.value("query", json::object());
  answer.query.pid = get_or<std::uint32_t>(q, "pid", 0);
  answer.query.cgroup_path = get_or<std::string>(q, "cgroup_path", "");
  const auto& v = j["verdict"];
  const int state = get_or<int>(v, "state", 0);
  answer.verdict.state = state >= 0 && state <= static_cast<int>(DeviceVerdict::State::kAllowsSensitiveDevices)
                             ? static_cast<DeviceVerdict::State>(state)
                             : DeviceVerdict::State::kUnknown;
  answer.verdict.source = get_or<std::string>(v, "source", "");
  answer.verdict.path = get_or<std::string>(v, "path", "");
  answer.verdict.rules = get_or<std::vector<std::string>>(v, "rules", {});
  answer.verdict.program_ids = get_or<std::vector<std::uint32_t>>(v, "program_ids", {});
  answer.verdict.allowed = get_or<std::vector<std::string>>(v, "allowed", {});
  answer.verdict.detail = get_or<std::string>(v, "detail", "");
  return answer;
}

json bundle_answer_json(const ContainerRef& ref, std::uint32_t pid, const std::optional<Expected<OciBundle>>& bundle) {
  json out = {{"query", {{"runtime", static_cast<int>(ref.runtime)}, {"id", ref.id}, {"pid", pid}}}};
  if (!bundle) {
    out["found"] = false;
    return out;
  }
  out["found"] = true;
  if (!*bundle) {
    out["error"] = bundle->error().message;
    return out;
  }
  const auto& b = bundle->value();
  out["bundle"] = {{"engine", b.engine},
                   {"namespace", b.namespace_},
                   {"id", b.id},
                   {"config_path", b.config_path},
                   {"cgroups_path", b.cgroups_path},
                   {"image", b.image},
                   {"privileged", b.privileged},
                   {"bounding", b.bounding.bits()},
                   {"capability_names_unknown", b.capability_names_unknown},
                   {"all_devices_allowed", b.all_devices_allowed},
                   {"device_rules", b.device_rules},
                   {"host_devices", b.host_devices},
                   {"masked_paths", b.masked_paths},
                   {"readonly_paths", b.readonly_paths},
                   {"kubernetes",
                    {{"pod_name", b.kubernetes.pod_name},
                     {"pod_namespace", b.kubernetes.pod_namespace},
                     {"pod_uid", b.kubernetes.pod_uid},
                     {"container_name", b.kubernetes.container_name}}}};
  return out;
}

Expected<BundleAnswer> bundle_answer_from_json(const json& j) {
  if (!j.is_object() || !j.contains("found")) {
    return Error{"a bundle entry without an answer"};
  }
  BundleAnswer answer;
  const auto& q = j.value("query", json::object());
  const int runtime = get_or<int>(q, "runtime", static_cast<int>(ContainerRuntime::kUnmanaged));
  answer.ref.runtime = runtime >= 0 && runtime <= static_cast<int>(ContainerRuntime::kUnmanaged)
                           ? static_cast<ContainerRuntime>(runtime)
                           : ContainerRuntime::kUnmanaged;
  answer.ref.id = get_or<std::string>(q, "id", "");
  answer.pid = get_or<std::uint32_t>(q, "pid", 0);
  if (!get_or<bool>(j, "found", false)) {
    return answer;
  }
  if (j.contains("error")) {
    answer.bundle = Expected<OciBundle>(Error{get_or<std::string>(j, "error", "")});
    return answer;
  }
  const auto& b = j.value("bundle", json::object());
  OciBundle bundle;
  bundle.engine = get_or<std::string>(b, "engine", "");
  bundle.namespace_ = get_or<std::string>(b, "namespace", "");
  bundle.id = get_or<std::string>(b, "id", "");
  bundle.config_path = get_or<std::string>(b, "config_path", "");
  bundle.cgroups_path = get_or<std::string>(b, "cgroups_path", "");
  bundle.image = get_or<std::string>(b, "image", "");
  bundle.privileged = get_or<bool>(b, "privileged", false);
  bundle.bounding = CapabilitySet(get_or<std::uint64_t>(b, "bounding", 0));
  bundle.capability_names_unknown = get_or<std::vector<std::string>>(b, "capability_names_unknown", {});
  bundle.all_devices_allowed = get_or<bool>(b, "all_devices_allowed", false);
  bundle.device_rules = get_or<std::vector<std::string>>(b, "device_rules", {});
  bundle.host_devices = get_or<std::size_t>(b, "host_devices", 0);
  bundle.masked_paths = get_or<std::vector<std::string>>(b, "masked_paths", {});
  bundle.readonly_paths = get_or<std::vector<std::string>>(b, "readonly_paths", {});
  const auto& k = b.value("kubernetes", json::object());
  bundle.kubernetes.pod_name = get_or<std::string>(k, "pod_name", "");
  bundle.kubernetes.pod_namespace = get_or<std::string>(k, "pod_namespace", "");
  bundle.kubernetes.pod_uid = get_or<std::string>(k, "pod_uid", "");
  bundle.kubernetes.container_name = get_or<std::string>(k, "container_name", "");
  answer.bundle = Expected<OciBundle>(std::move(bundle));
  return answer;
}

}  // namespace privsentry
