#include "enrich/docker_json.hpp"

#include <nlohmann/json.hpp>

#include "util/text.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

Expected<json> parse_bounded(std::string_view text, const char* what) {
  if (json_nesting_exceeds(text, kMaxDockerJsonDepth)) {
    return Error{std::string(what) + ": JSON nests deeper than " + std::to_string(kMaxDockerJsonDepth) + " levels"};
  }
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    return Error{std::string(what) + ": not valid JSON (" + e.what() + ")"};
  }
}

const json* member(const json& object, const char* key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string string_or_empty(const json& object, const char* key) {
  const auto* value = member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

std::vector<std::string> string_list(const json& object, const char* key) {
  std::vector<std::string> out;
  const auto* value = member(object, key);
  if (value == nullptr || !value->is_array()) {
    return out;
  }
  for (const auto& item : *value) {
    if (item.is_string()) {
      out.push_back(item.get<std::string>());
    }
  }
  return out;
}

}  // namespace

bool json_nesting_exceeds(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return true;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

Expected<DockerContainerInfo> parse_docker_inspect(std::string_view body) {
  auto parsed = parse_bounded(body, "container inspect");
  if (!parsed) {
    return parsed.error();
  }
  const json& doc = *parsed;
  if (!doc.is_object()) {
    return Error{"container inspect: the answer is not a JSON object"};
  }
  DockerContainerInfo info;
  info.id = string_or_empty(doc, "Id");
  if (!is_full_container_id(info.id)) {
    return Error{"container inspect: Id is missing or not 64 hex digits"};
  }
  info.name = string_or_empty(doc, "Name");
  if (!info.name.empty() && info.name.front() == '/') {
    info.name.erase(0, 1);
  }
  info.image_id = string_or_empty(doc, "Image");

  const json* host_config = member(doc, "HostConfig");
  if (host_config == nullptr || !host_config->is_object()) {
    return Error{"container inspect: HostConfig is missing"};
  }
  const json* privileged = member(*host_config, "Privileged");
  if (privileged == nullptr || !privileged->is_boolean()) {
    // Never guess the one field the CIS check is about.
    return Error{"container inspect: HostConfig.Privileged is missing or not a boolean"};
  }
  info.privileged = privileged->get<bool>();
  info.cap_add = string_list(*host_config, "CapAdd");
  info.cap_drop = string_list(*host_config, "CapDrop");
  info.device_cgroup_rules = string_list(*host_config, "DeviceCgroupRules");
  info.security_opt = string_list(*host_config, "SecurityOpt");
  info.pid_mode = string_or_empty(*host_config, "PidMode");
  info.userns_mode = string_or_empty(*host_config, "UsernsMode");
  info.cgroup_parent = string_or_empty(*host_config, "CgroupParent");
  info.oci_runtime = string_or_empty(*host_config, "Runtime");
  if (const json* devices = member(*host_config, "Devices"); devices != nullptr && devices->is_array()) {
    for (const auto& device : *devices) {
      if (device.is_object()) {
        info.devices.push_back(DockerDevice{string_or_empty(device, "PathOnHost"),
                                            string_or_empty(device, "PathInContainer"),
                                            string_or_empty(device, "CgroupPermissions")});
      }
    }
  }

  if (const json* config = member(doc, "Config"); config != nullptr) {
    info.image = string_or_empty(*config, "Image");
    if (const json* labels = member(*config, "Labels"); labels != nullptr && labels->is_object()) {
      for (const auto& [key, value] : labels->items()) {
        if (value.is_string()) {
          info.labels.emplace(key, value.get<std::string>());
        }
      }
    }
  }
  if (const json* state = member(doc, "State"); state != nullptr) {
    if (const json* pid = member(*state, "Pid"); pid != nullptr && pid->is_number_unsigned()) {
      const auto value = pid->get<std::uint64_t>();
      info.pid = value <= UINT32_MAX ? static_cast<std::uint32_t>(value) : 0;
    }
    if (const json* running = member(*state, "Running"); running != nullptr && running->is_boolean()) {
      info.running = running->get<bool>();
    }
  }
  return info;
}

Expected<std::vector<std::string>> parse_docker_container_list(std::string_view body) {
  auto parsed = parse_bounded(body, "container list");
  if (!parsed) {
    return parsed.error();
  }
  if (!parsed->is_array()) {
    return Error{"container list: the answer is not a JSON array"};
  }
  std::vector<std::string> ids;
  for (const auto& item : *parsed) {
    const auto id = string_or_empty(item, "Id");
    if (is_full_container_id(id)) {
      ids.push_back(id);
    }
  }
  return ids;
}

Expected<std::string> parse_docker_version(std::string_view body) {
  auto parsed = parse_bounded(body, "version");
  if (!parsed) {
    return parsed.error();
  }
  const auto version = string_or_empty(*parsed, "Version");
  const auto api = string_or_empty(*parsed, "ApiVersion");
  if (version.empty() && api.empty()) {
    return Error{"version: the answer has neither Version nor ApiVersion"};
  }
  return version + " (API " + api + ")";
}

Expected<DockerEvent> parse_docker_event(std::string_view line) {
  auto parsed = parse_bounded(line, "event");
  if (!parsed) {
    return parsed.error();
  }
  if (!parsed->is_object()) {
    return Error{"event: not a JSON object"};
  }
  DockerEvent event;
  event.type = string_or_empty(*parsed, "Type");
  event.action = string_or_empty(*parsed, "Action");
  if (const json* actor = member(*parsed, "Actor"); actor != nullptr) {
    event.id = string_or_empty(*actor, "ID");
  }
  if (event.id.empty()) {
    event.id = string_or_empty(*parsed, "id");
  }
  if (const json* time_nano = member(*parsed, "timeNano"); time_nano != nullptr && time_nano->is_number_integer()) {
    event.time_nano = time_nano->get<std::int64_t>();
  }
  return event;
}

}  // namespace privsentry
