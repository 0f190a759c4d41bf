#pragma once

#include <string>
#include <vector>

#include "support/subprocess.hpp"

namespace privsentry::bench {

// The docker command line against one engine (Debian's client, which
// matches Debian's engine, when it is there).
class DockerCli {
 public:
  explicit DockerCli(std::string host);

  // Whatever the outcome (cleanup); see ok() for commands that must work.
  support::CommandResult run(const std::vector<std::string>& args) const;
  // stdout, trimmed; throws with the engine's message on failure.
  std::string ok(const std::vector<std::string>& args) const;
  // For a command that runs alongside others: its argv and environment.
  [[nodiscard]] std::vector<std::string> command(const std::vector<std::string>& args) const;
  [[nodiscard]] std::vector<std::string> environment() const { return {"DOCKER_HOST=" + host_}; }
  [[nodiscard]] const std::string& host() const { return host_; }

 private:
  std::string host_;
  std::string binary_;
};

}  // namespace privsentry::bench
