#include "docker_cli.hpp"

#include <filesystem>
#include <stdexcept>

namespace privsentry::bench {

DockerCli::DockerCli(std::string host)
    : host_(std::move(host)), binary_(std::filesystem::exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker") {}

std::vector<std::string> DockerCli::command(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{binary_};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

support::CommandResult DockerCli::run(const std::vector<std::string>& args) const {
  return support::run_command(command(args), environment());
}

std::string DockerCli::ok(const std::vector<std::string>& args) const {
  auto result = run(args);
  if (result.exit_code != 0) {
    std::string joined;
    for (const auto& a : args) {
      joined += " " + a;
    }
    throw std::runtime_error("docker" + joined + " failed: " + result.err);
  }
  while (!result.out.empty() && (result.out.back() == '\n' || result.out.back() == '\r')) {
    result.out.pop_back();
  }
  return result.out;
}

}  // namespace privsentry::bench
