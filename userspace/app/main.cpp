// privsentry: finds privileged containers from the kernel and cross-checks
// them against the container engine. Composition root: parse, wire, run.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "app/command_line.hpp"
#include "enrich/docker_client.hpp"
#include "kernel/libbpf_log.hpp"

int main(int argc, char** argv) {
  // A consumer closing a pipe or socket must surface as a write error, not
  // kill the sensor.
  ::signal(SIGPIPE, SIG_IGN);

  const std::vector<std::string> args(argv + 1, argv + argc);
  auto command_line = privsentry::parse_command_line(args);
  using Command = privsentry::CommandLine::Command;
  if (command_line.command == Command::kExit) {
    return command_line.exit_code;
  }
  const std::string& level = command_line.command == Command::kRun      ? command_line.run.common.log_level
                             : command_line.command == Command::kAudit  ? command_line.audit.common.log_level
                             : command_line.command == Command::kLive   ? command_line.live.run.common.log_level
                             : command_line.command == Command::kReplay ? command_line.replay.log_level
                                                                        : command_line.doctor.common.log_level;
  if (!privsentry::configure_logging(level)) {
    std::cerr << "--log-level: unknown level \"" << level << "\"\n";
    return 2;
  }
  privsentry::install_libbpf_logger();
  try {
    const privsentry::CurlGlobal curl;
    switch (command_line.command) {
      case Command::kRun:
        return privsentry::run_command(command_line.run, [&args]() -> privsentry::Expected<privsentry::RunOptions> {
          auto reloaded = privsentry::parse_command_line(args);
          if (reloaded.command != Command::kRun) {
            return privsentry::Error{"the configuration no longer parses (see the line above)"};
          }
          return reloaded.run;
        });
      case Command::kAudit:
        return privsentry::audit_command(command_line.audit);
      case Command::kDoctor:
        return privsentry::doctor_command(command_line.doctor);
      case Command::kLive:
        return privsentry::live_command(command_line.live, [&args]() -> privsentry::Expected<privsentry::RunOptions> {
          auto reloaded = privsentry::parse_command_line(args);
          if (reloaded.command != Command::kLive) {
            return privsentry::Error{"the configuration no longer parses"};
          }
          return reloaded.live.run;
        });
      case Command::kReplay:
        return privsentry::replay_command(command_line.replay);
      case Command::kExit:
        break;
    }
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 2;
  }
  return 2;
}
