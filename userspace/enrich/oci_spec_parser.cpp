#include "enrich/oci_spec_parser.hpp"

#include <nlohmann/json.hpp>

#include "state/capability_verdict.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxListed = 256;  // paths and rules kept for evidence
constexpr std::size_t kMaxText = 1024;   // one annotation value kept

std::string text_of(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return {};
  }
  return it->get<std::string>().substr(0, kMaxText);
}

std::vector<std::string> strings_of(const json& j, const char* key) {
  std::vector<std::string> out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) {
    return out;
  }
  for (const auto& item : *it) {
    if (item.is_string() && out.size() < kMaxListed) {
      out.push_back(item.get<std::string>().substr(0, kMaxText));
    }
  }
  return out;
}

std::string number_or_star(const json& rule, const char* key) {
  const auto it = rule.find(key);
  return it != rule.end() && it->is_number_integer() ? std::to_string(it->get<std::int64_t>()) : "*";
}

// One of the annotation keys, the first that is set.
std::string annotation(const json& annotations, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (auto value = text_of(annotations, key); !value.empty()) {
      return value;
    }
  }
  return {};
}

}  // namespace

Expected<OciBundle> parse_oci_spec(std::string_view text, CapabilitySet host_bounding) {
  const json spec = json::parse(text, nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) {
    return Error{"not a JSON object"};
  }
  if (!spec.contains("ociVersion") || !spec["ociVersion"].is_string()) {
    return Error{"not an OCI runtime spec: no ociVersion"};
  }
  OciBundle bundle;
  const json empty = json::object();
  const auto& process = spec.contains("process") && spec["process"].is_object() ? spec["process"] : empty;
  const auto& capabilities =
      process.contains("capabilities") && process["capabilities"].is_object() ? process["capabilities"] : empty;
  for (const auto& name : strings_of(capabilities, "bounding")) {
    if (const auto number = capability_from_name(name)) {
      bundle.bounding.add(*number);
    } else {
      bundle.capability_names_unknown.push_back(name);
    }
  }
  const auto& linux = spec.contains("linux") && spec["linux"].is_object() ? spec["linux"] : empty;
  bundle.cgroups_path = text_of(linux, "cgroupsPath");
  bundle.masked_paths = strings_of(linux, "maskedPaths");
  bundle.readonly_paths = strings_of(linux, "readonlyPaths");
  if (const auto it = linux.find("devices"); it != linux.end() && it->is_array()) {
    bundle.host_devices = it->size();
  }
  const auto& resources = linux.contains("resources") && linux["resources"].is_object() ? linux["resources"] : empty;
  if (const auto it = resources.find("devices"); it != resources.end() && it->is_array()) {
    // The rules apply in order, the last match wins: an allow-all rule
    // opens everything unless a deny follows it.
    for (const auto& rule : *it) {
      if (!rule.is_object()) {
        continue;
      }
      const auto allow_it = rule.find("allow");
      const bool allow = allow_it != rule.end() && allow_it->is_boolean() && allow_it->get<bool>();
      std::string type = text_of(rule, "type");
      if (type.empty()) {
        type = "a";
      }
      std::string access = text_of(rule, "access");
      if (access.empty()) {
        access = "rwm";
      }
      const std::string major = number_or_star(rule, "major");
      const std::string minor = number_or_star(rule, "minor");
      const bool everything = type == "a" && major == "*" && minor == "*" && access.find('r') != std::string::npos &&
                              access.find('w') != std::string::npos && access.find('m') != std::string::npos;
      if (everything) {
        bundle.all_devices_allowed = allow;
      } else if (!allow && type == "a") {
        bundle.all_devices_allowed = false;
      }
      if (bundle.device_rules.size() < kMaxListed) {
        bundle.device_rules.push_back(std::string(allow ? "allow " : "deny ") + type + " " + major + ":" + minor + " " +
                                      access.substr(0, 3));
      }
    }
  }
  const auto& annotations =
      spec.contains("annotations") && spec["annotations"].is_object() ? spec["annotations"] : empty;
  bundle.kubernetes.pod_name = annotation(annotations, {"io.kubernetes.pod.name", "io.kubernetes.cri.sandbox-name"});
  bundle.kubernetes.pod_namespace =
      annotation(annotations, {"io.kubernetes.pod.namespace", "io.kubernetes.cri.sandbox-namespace"});
  bundle.kubernetes.pod_uid = annotation(annotations, {"io.kubernetes.pod.uid", "io.kubernetes.cri.sandbox-uid"});
  bundle.kubernetes.container_name =
      annotation(annotations, {"io.kubernetes.container.name", "io.kubernetes.cri.container-name"});
  bundle.image = annotation(annotations, {"io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName",
                                          "io.podman.annotations.image", "io.containerd.image.name"});

  if (text_of(annotations, "io.container.manager") == "libpod") {
    bundle.engine = "podman";
  } else {
    for (const auto& item : annotations.items()) {
      if (item.key().starts_with("io.kubernetes.cri-o.")) {
        bundle.engine = "cri-o";
        break;
      }
    }
  }

  const auto verdict = evaluate_capabilities(bundle.bounding, host_bounding);
  bundle.privileged = verdict.full && bundle.all_devices_allowed && bundle.masked_paths.empty();
  return bundle;
}

}  // namespace privsentry
