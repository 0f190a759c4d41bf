#include "enrich/oci_bundle_locator.hpp"

#include <algorithm>
#include <system_error>

#include "enrich/oci_spec_parser.hpp"
#include "state/cgroup_path_parser.hpp"
#include "state/proc_parsers.hpp"
#include "util/file.hpp"

namespace privsentry {
namespace {

constexpr std::size_t kMaxSpecBytes = 4U << 20U;
constexpr std::size_t kMaxNamespaces = 64;

// An id must be one plain path component: it comes from a cgroup path,
// which whoever creates cgroups names.
bool safe_component(const std::string& s) {
  return !s.empty() && s.size() <= 128 && s != "." && s != ".." && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

// The cgroup of a process: the unified hierarchy's where it has one, else
// the first listed.
std::string process_cgroup(const std::filesystem::path& proc, std::uint32_t pid) {
  auto text = read_small_file(proc / std::to_string(pid) / "cgroup", 64U << 10U);
  if (!text) {
    return {};
  }
  std::string first;
  for (const auto& line : parse_proc_cgroup(*text)) {
    if (line.hierarchy_id == 0 && line.controllers.empty()) {
      return line.path;
    }
    if (first.empty()) {
      first = line.path;
    }
  }
  return first;
}

// The id in a cgroup's last component: "cri-containerd-<id>.scope",
// "crio-<id>", "libpod-<id>" or the plain id (ctr: /<namespace>/<id>).
std::string id_from_component(std::string component) {
  if (component.size() > 6 && component.ends_with(".scope")) {
    component.resize(component.size() - 6);
  }
  for (const std::string_view prefix : {"cri-containerd-", "crio-", "libpod-", "docker-"}) {
    if (component.starts_with(prefix)) {
      return component.substr(prefix.size());
    }
  }
  return component;
}

}  // namespace

bool cgroups_path_matches(const std::string& cgroups_path, const std::string& path) {
  if (cgroups_path.empty() || path.empty()) {
    return false;
  }
  if (cgroups_path.front() == '/') {
    return cgroups_path == path;
  }
  // systemd: "kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>"
  const auto first = cgroups_path.find(':');
  const auto second = first == std::string::npos ? std::string::npos : cgroups_path.find(':', first + 1);
  if (second == std::string::npos) {
    return false;
  }
  const auto scope =
      cgroups_path.substr(first + 1, second - first - 1) + "-" + cgroups_path.substr(second + 1) + ".scope";
  const auto parts = cgroup_path_components(path);
  return !parts.empty() && parts.back() == scope;
}

OciBundleLocator::Roots OciBundleLocator::default_roots() {
  // CRI-O keeps bundles under its run root, podman (rootful) under its graph root.
  return {{"/run/containerd/io.containerd.runtime.v2.task"},
          {"/run/containers/storage/overlay-containers", "/var/lib/containers/storage/overlay-containers"}};
}

OciBundleLocator::OciBundleLocator(Roots roots, CapabilitySet host_bounding, std::filesystem::path proc)
    : roots_(std::move(roots)), host_bounding_(host_bounding), proc_(std::move(proc)) {}

std::vector<OciBundleLocator::Candidate> OciBundleLocator::candidates(const std::string& id,
                                                                      const std::string& namespace_hint) const {
  std::vector<Candidate> out;
  if (!safe_component(id)) {
    return out;
  }
  std::error_code error;
  for (const auto& root : roots_.containerd) {
    if (safe_component(namespace_hint)) {
      const auto config = root / namespace_hint / id / "config.json";
      if (std::filesystem::is_regular_file(config, error)) {
        out.push_back({config, "containerd", namespace_hint});
        continue;
      }
    }
    std::size_t seen = 0;
    for (std::filesystem::directory_iterator it(root, error), end; !error && it != end && seen < kMaxNamespaces;
         it.increment(error), ++seen) {
      const auto ns = it->path().filename().string();
      const auto config = it->path() / id / "config.json";
      if (safe_component(ns) && std::filesystem::is_regular_file(config, error)) {
        out.push_back({config, "containerd", ns});
      }
    }
    error.clear();
  }
  for (const auto& root : roots_.containers_storage) {
    const auto config = root / id / "userdata" / "config.json";
    if (std::filesystem::is_regular_file(config, error)) {
      out.push_back({config, "", ""});
    }
  }
  return out;
}

std::optional<Expected<OciBundle>> OciBundleLocator::find(const ContainerRef& ref, std::uint32_t pid) {
  const std::string cgroup = pid != 0 ? process_cgroup(proc_, pid) : std::string();
  std::string id = ref.runtime == ContainerRuntime::kUnmanaged ? std::string() : ref.id;
  std::string namespace_hint;
  if (id.empty()) {
    const auto parts = cgroup_path_components(cgroup);
    if (parts.empty()) {
      return std::nullopt;
    }
    id = id_from_component(std::string(parts.back()));
    if (parts.size() == 2) {
      namespace_hint = std::string(parts.front());  // ctr with cgroupfs: /<namespace>/<id>
    }
  }
  for (const auto& candidate : candidates(id, namespace_hint)) {
    auto text = read_small_file(candidate.config, kMaxSpecBytes);
    if (!text) {
      return Expected<OciBundle>(Error{candidate.config.string() + ": " + text.error().message});
    }
    auto bundle = parse_oci_spec(*text, host_bounding_);
    if (!bundle) {
      return Expected<OciBundle>(Error{candidate.config.string() + ": " + bundle.error().message});
    }
    // With no live process to compare (a container seen only by its cgroup)
    // the id alone decides; otherwise the bundle must describe this cgroup.
    if (!cgroup.empty() && !cgroups_path_matches(bundle->cgroups_path, cgroup)) {
      continue;
    }
    bundle->id = id;
    bundle->namespace_ = candidate.namespace_;
    bundle->config_path = candidate.config.string();
    // The spec's own annotations said who wrote it, if they could
    // (io.container.manager for podman, which writes some CRI-O ones too).
    if (!candidate.engine.empty()) {
      bundle->engine = candidate.engine;
    } else if (ref.runtime == ContainerRuntime::kCrio || ref.runtime == ContainerRuntime::kPodman) {
      bundle->engine = ref.runtime == ContainerRuntime::kCrio ? "cri-o" : "podman";
    } else if (bundle->engine.empty()) {
      bundle->engine = "podman";
    }
    return Expected<OciBundle>(std::move(*bundle));
  }
  return std::nullopt;
}

}  // namespace privsentry
