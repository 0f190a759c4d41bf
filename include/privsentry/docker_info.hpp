#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace privsentry {

struct DockerDevice {
  std::string path_on_host;
  std::string path_in_container;
  std::string cgroup_permissions;
};

// The fields of a Docker inspect answer that bear on privilege. Every string
// comes from the engine, and many from whoever started the container: hostile.
struct DockerContainerInfo {
  std::string id;
  std::string name;   // without the leading '/'
  std::string image;  // Config.Image, as the user named it
  std::string image_id;
  std::string oci_runtime;  // HostConfig.Runtime
  bool privileged = false;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::vector<DockerDevice> devices;
  std::vector<std::string> device_cgroup_rules;
  std::vector<std::string> security_opt;
  std::string pid_mode;
  std::string userns_mode;
  std::string cgroup_parent;
  std::map<std::string, std::string> labels;
  std::uint32_t pid = 0;  // State.Pid, host pid namespace
  bool running = false;
};

}  // namespace privsentry
