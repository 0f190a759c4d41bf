#include "state/cgroup_path_parser.hpp"

#include <algorithm>
#include <vector>

#include "util/text.hpp"

namespace privsentry {

std::string_view to_string(ContainerRuntime runtime) {
  switch (runtime) {
    case ContainerRuntime::kDocker:
      return "docker";
    case ContainerRuntime::kContainerd:
      return "containerd";
    case ContainerRuntime::kCrio:
      return "cri-o";
    case ContainerRuntime::kPodman:
      return "podman";
    case ContainerRuntime::kCri:
      return "cri";
    case ContainerRuntime::kUnmanaged:
      return "unmanaged";
  }
  return "unmanaged";
}

std::vector<std::string_view> cgroup_path_components(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    if (end > start) {
      out.push_back(path.substr(start, end - start));
    }
    start = end + 1;
  }
  return out;
}

namespace {

bool strip_prefix(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) {
    return false;
  }
  s.remove_prefix(prefix.size());
  return true;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) {
    return false;
  }
  s.remove_suffix(suffix.size());
  return true;
}

// "pod<uid>" (cgroupfs) or "kubepods-<qos>-pod<uid with _>.slice" (systemd).
std::string pod_uid_of(std::string_view component) {
  std::string_view rest = component;
  if (strip_suffix(rest, ".slice")) {
    const auto pos = rest.rfind("-pod");
    if (rest.substr(0, 9) != "kubepods-" || pos == std::string_view::npos) {
      return {};
    }
    rest.remove_prefix(pos + 4);
  } else if (!strip_prefix(rest, "pod")) {
    return {};
  }
  if (rest.size() < 32 || rest.size() > 40) {
    return {};
  }
  std::string uid;
  for (const char c : rest) {
    if (c == '_' || c == '-') {
      uid.push_back('-');
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
      uid.push_back(c);
    } else {
      return {};
    }
  }
  return uid;
}

std::optional<ContainerRuntime> match_component(std::string_view component, std::string_view parent) {
  std::string_view rest = component;
  const bool scope = strip_suffix(rest, ".scope");
  struct Prefix {
    std::string_view text;
    ContainerRuntime runtime;
  };
  static constexpr Prefix kPrefixes[] = {
      {"docker-", ContainerRuntime::kDocker},
      {"cri-containerd-", ContainerRuntime::kContainerd},
      {"crio-", ContainerRuntime::kCrio},
      {"libpod-", ContainerRuntime::kPodman},
  };
  for (const auto& prefix : kPrefixes) {
    std::string_view id = rest;
    if (strip_prefix(id, prefix.text) && is_full_container_id(id)) {
      // systemd names are scopes; CRI-O and podman with cgroupfs use the bare name.
      if (scope || prefix.runtime == ContainerRuntime::kCrio || prefix.runtime == ContainerRuntime::kPodman) {
        return prefix.runtime;
      }
    }
  }
  if (!scope && is_full_container_id(component)) {
    if (parent == "docker") {
      return ContainerRuntime::kDocker;
    }
    if (!pod_uid_of(parent).empty()) {
      return ContainerRuntime::kCri;
    }
  }
  return std::nullopt;
}

std::string_view id_of(std::string_view component) {
  std::string_view rest = component;
  strip_suffix(rest, ".scope");
  const auto dash = rest.rfind('-');
  return dash == std::string_view::npos ? rest : rest.substr(dash + 1);
}

}  // namespace

std::optional<ContainerRef> parse_container_cgroup(std::string_view path) {
  const auto parts = cgroup_path_components(path);
  std::string pod_uid;
  std::string prefix;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view parent = i > 0 ? parts[i - 1] : std::string_view();
    prefix += '/';
    prefix += parts[i];
    if (pod_uid.empty()) {
      pod_uid = pod_uid_of(parts[i]);
    }
    if (const auto runtime = match_component(parts[i], parent)) {
      ContainerRef ref;
      ref.runtime = *runtime;
      ref.id = std::string(id_of(parts[i]));
      ref.pod_uid = pod_uid;
      ref.cgroup_path = prefix;
      return ref;
    }
  }
  return std::nullopt;
}

}  // namespace privsentry
