#include "app/commands/doctor_command.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "app/sensor_privileges.hpp"
#include "enrich/docker_client.hpp"
#include "kernel/bpf_loader.hpp"
#include "kernel/device_program_broker.hpp"
#include "kernel/feature_probe.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

namespace privsentry {
namespace {

void line(std::string_view what, bool ok, std::string_view detail) {
  std::cout << (ok ? "  [ok]   " : "  [--]   ") << what;
  if (!detail.empty()) {
    std::cout << ": " << escape_for_terminal(detail, 400);
  }
  std::cout << "\n";
}

// Each capability the sensor asks for, whether this process holds it, and
// the drops themselves (the sensor's, the device helper's), tried in
// children so that doctor keeps its own.
bool drop_works(CapabilitySet keep) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::_exit(drop_privileges(keep) ? 0 : 1);
  }
  int status = 0;
  return child > 0 && ::waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void print_privileges() {
  auto held = read_thread_privileges();
  for (const auto& need : sensor_capability_needs()) {
    const bool has = held && held->effective.has(need.capability);
    line(capability_name(need.capability) + " (" + std::string(to_string(need.holder)) + ")", has, need.why);
  }
  const bool sensor = drop_works(sensor_kept_capabilities());
  line("sensor: drop to " + join_capability_names(sensor_kept_capabilities(), "no capability") + " with no_new_privs",
       sensor, sensor ? "works here" : "failed: privsentry run would refuse to start");
  const bool helper = drop_works(device_helper_capabilities());
  line("device helper: drop to " + join_capability_names(device_helper_capabilities(), "no capability") +
           " with no_new_privs",
       helper, helper ? "works here" : "failed: cgroup v2 device programs would read as unknown");
}

// The helper privsentry run forks to read cgroup v2 device programs, started
// the same way and asked about the hierarchy's root.
void check_device_helper(const CgroupMount& unified) {
  auto broker = start_device_helper();
  if (!broker) {
    line("device helper", false, broker.error().message + ": cgroup v2 device programs would read as unknown");
    return;
  }
  const UniqueFd root(::open(unified.mount_point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) {
    line("device helper", false, "open " + unified.mount_point.string() + ": " + errno_text(errno));
    return;
  }
  auto programs = (*broker)->effective_programs(root.get());
  std::string error = programs ? std::string() : programs.error().message;
  for (const auto& program : programs ? *programs : std::vector<DeviceProgram>{}) {
    if (error.empty() && !program.error.empty()) {
      error = program.error;
    }
  }
  line("device helper reads cgroup v2 device programs", error.empty(),
       error.empty() ? std::to_string(programs->size()) + " effective on " + unified.mount_point.string() : error);
}

}  // namespace

int doctor_command(const DoctorOptions& options) {
  if (options.cap_tier != "auto" && !capability_tier_from_string(options.cap_tier)) {
    std::cerr << "--cap-tier must be auto, tracepoint, fentry or kprobe\n";
    return 2;
  }
  std::cout << "privsentry " << PRIVSENTRY_VERSION << " doctor\n\nHost\n";
  auto context = load_host_context(options.common);
  if (!context) {
    line("host facts", false, context.error().message);
    return 1;
  }
  const auto& facts = context->facts;
  line("kernel", true, facts.kernel_release);
  line("host name", true, facts.hostname);
  line("cap_last_cap", true, std::to_string(facts.cap_last_cap));
  const auto lacking = CapabilitySet::all_up_to(facts.cap_last_cap) - facts.bounding;
  std::string bounding = facts.bounding.hex();
  if (!lacking.empty()) {
    bounding += " (the host itself lacks";
    for (const auto& name : lacking.names()) {
      bounding += " " + name;
    }
    bounding += ")";
  }
  line("host bounding set (pid 1)", true, bounding);
  line("host namespaces from", true,
       facts.namespaces_from + ": mnt " + std::to_string(facts.mntns) + ", pid " + std::to_string(facts.pidns));
  line("sensor in the host pid namespace", facts.sensor_in_host_pidns,
       facts.sensor_in_host_pidns ? "" : "run with --pid=host: kernel pids would not match /proc");

  std::cout << "\nCgroups\n";
  line("mode", context->layout.mode != CgroupMode::kNone, to_string(context->layout.mode));
  for (const auto& mount : context->layout.mounts) {
    std::string controllers = mount.unified ? "cgroup2" : "";
    for (const auto& c : mount.controllers) {
      controllers += (controllers.empty() ? "" : ",") + c;
    }
    line("mount " + mount.mount_point.string(), true, controllers);
  }
  line("tracked hierarchy", true, context->tracked.name + " at " + context->tracked.mount_point.string());
  const bool v1_devices = context->layout.v1_controller("devices") != nullptr;
  const bool v2_programs = context->layout.unified() != nullptr;
  line("device restrictions read from", v1_devices || v2_programs,
       v1_devices && v2_programs ? "cgroup v1 devices.list and cgroup v2 BPF_CGROUP_DEVICE programs (both apply)"
       : v1_devices              ? "cgroup v1 devices.list"
       : v2_programs             ? "cgroup v2 BPF_CGROUP_DEVICE programs"
                                 : "nothing: no devices controller is mounted");

  std::cout << "\nKernel features\n";
  for (const auto& check : probe_kernel_features()) {
    line(check.name, check.available, check.detail);
  }

  std::cout << "\nCapability tiers (tried in this order; the first that loads is live)\n";
  LoaderConfig config;
  config.host_mntns = facts.mntns;
  config.host_pidns = facts.pidns;
  config.cgroup_v1_subsystem = context->tracked.v1_subsystem;
  if (options.cap_tier != "auto") {
    config.forced_tier = capability_tier_from_string(options.cap_tier);
  }
  CapabilityTier live = CapabilityTier::kNone;
  for (const auto& attempt : BpfLoader::probe_tiers(config)) {
    line(std::string(to_string(attempt.tier)), attempt.loaded, attempt.loaded ? "loads and attaches" : attempt.error);
    if (attempt.loaded && live == CapabilityTier::kNone) {
      live = attempt.tier;
    }
  }
  line("live capability tier", live != CapabilityTier::kNone,
       live == CapabilityTier::kNone ? "none: capability use would not be seen" : std::string(to_string(live)));

  std::cout << "\nProbes\n";
  config.ringbuf_bytes = 4096 * 16;
  auto loaded = BpfLoader::load(config);
  line("cgroup, exec, fork and exit probes", loaded.ok(), loaded ? "load and attach" : loaded.error().message);

  std::cout << "\nPrivileges (what privsentry run needs; it drops the rest once its probes are attached)\n";
  print_privileges();
  if (const auto* unified = context->layout.unified()) {
    check_device_helper(*unified);
  }

  std::cout << "\nOther runtimes (OCI bundles: containerd, CRI-O, podman)\n";
  const auto roots = bundle_roots(options.common);
  for (const auto& dir : roots.containerd) {
    line("containerd task state " + dir.string(), std::filesystem::is_directory(dir),
         std::filesystem::is_directory(dir) ? "read" : "absent: no containerd bundles here");
  }
  for (const auto& dir : roots.containers_storage) {
    line("containers/storage " + dir.string(), std::filesystem::is_directory(dir),
         std::filesystem::is_directory(dir) ? "read" : "absent: no CRI-O or podman bundles here");
  }

  std::cout << "\nDocker\n";
  if (context->docker_socket.empty()) {
    line("Docker Engine API", false, "off (--no-docker)");
  } else {
    const DockerClient client(context->docker_socket, DockerClientOptions{});
    auto version = client.server_version();
    line("Docker Engine API at " + context->docker_socket, version.ok(),
         version ? *version : version.error().message + " (the sensor runs on kernel evidence without it)");
  }
  return loaded.ok() ? 0 : 1;
}

}  // namespace privsentry
