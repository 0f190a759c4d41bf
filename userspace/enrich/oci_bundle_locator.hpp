#pragma once

#include <filesystem>
#include <vector>

#include "enrich/bundle_source.hpp"

namespace privsentry {

// Finds bundles where the runtimes keep them while a container runs:
// containerd's task state (<root>/<namespace>/<id>/config.json) and
// containers/storage, shared by CRI-O and podman
// (<root>/<id>/userdata/config.json). A bundle counts only if its
// linux.cgroupsPath is the cgroup the container's process is in, so a
// cgroup named after another container cannot borrow its declaration.
class OciBundleLocator final : public BundleSource {
 public:
  struct Roots {
    std::vector<std::filesystem::path> containerd;          // io.containerd.runtime.v2.task directories
    std::vector<std::filesystem::path> containers_storage;  // overlay-containers directories
  };
  static Roots default_roots();

  OciBundleLocator(Roots roots, CapabilitySet host_bounding, std::filesystem::path proc);

  std::optional<Expected<OciBundle>> find(const ContainerRef& ref, std::uint32_t pid) override;

 private:
  struct Candidate {
    std::filesystem::path config;
    std::string engine;
    std::string namespace_;
  };
  [[nodiscard]] std::vector<Candidate> candidates(const std::string& id, const std::string& namespace_hint) const;

  Roots roots_;
  CapabilitySet host_bounding_;
  std::filesystem::path proc_;
};

// Whether a spec's linux.cgroupsPath names the cgroup at `path` (as
// /proc/<pid>/cgroup shows it): equal for cgroupfs paths, and for systemd's
// "slice:prefix:name" the path's last component is "prefix-name.scope".
bool cgroups_path_matches(const std::string& cgroups_path, const std::string& path);

}  // namespace privsentry
