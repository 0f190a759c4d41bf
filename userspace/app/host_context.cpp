#include "app/host_context.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "enrich/docker_client.hpp"

namespace privsentry {

Expected<HostContext> load_host_context(const CommonOptions& options) {
  HostContext context;
  auto facts = read_host_facts("/proc", options.hostname);
  if (!facts) {
    return facts.error();
  }
  context.facts = std::move(*facts);
  auto layout = read_cgroup_layout("/proc");
  if (!layout) {
    return layout.error();
  }
  context.layout = std::move(*layout);
  auto tracked = choose_tracked_hierarchy(context.layout, options.cgroup_hierarchy);
  if (!tracked) {
    return tracked.error();
  }
  context.tracked = std::move(*tracked);
  if (!options.no_docker) {
    std::string host = options.docker_host;
    if (host.empty()) {
      const char* env = std::getenv("DOCKER_HOST");
      host = env == nullptr ? "" : env;
    }
    auto socket = docker_socket_from(host);
    if (!socket) {
      return socket.error();
    }
    context.docker_socket = *socket;
  }
  return context;
}

bool configure_logging(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return false;
  }
  auto logger = spdlog::stderr_color_mt("privsentry");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return true;
}

OciBundleLocator::Roots bundle_roots(const CommonOptions& options) {
  auto roots = OciBundleLocator::default_roots();
  if (!options.containerd_state.empty()) {
    roots.containerd.assign(options.containerd_state.begin(), options.containerd_state.end());
  }
  if (!options.containers_storage.empty()) {
    roots.containers_storage.assign(options.containers_storage.begin(), options.containers_storage.end());
  }
  return roots;
}

ContainerRuntime engine_runtime(const CommonOptions& options) {
  return options.engine == "podman" ? ContainerRuntime::kPodman : ContainerRuntime::kDocker;
}

}  // namespace privsentry
