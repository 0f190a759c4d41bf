#pragma once

#include <string>
#include <vector>

#include "app/commands/audit_command.hpp"
#include "app/commands/doctor_command.hpp"
#include "app/commands/replay_command.hpp"
#include "app/commands/run_command.hpp"
#include "ui/live_command.hpp"

namespace privsentry {

// The command a command line asks for, with its options: the configuration
// file's values (--config, or /etc/privsentry/privsentry.yaml when it
// exists), then the flags, which win.
struct CommandLine {
  enum class Command { kRun, kAudit, kDoctor, kLive, kReplay, kExit };
  Command command = Command::kExit;
  int exit_code = 0;  // kExit: --help, --version or an error already printed
  RunOptions run;
  AuditOptions audit;
  DoctorOptions doctor;
  LiveOptions live;
  ReplayOptions replay;
};

// args: argv without the program name.
CommandLine parse_command_line(const std::vector<std::string>& args);

}  // namespace privsentry
