#pragma once

#include <optional>
#include <string>

#include "app/commands/run_command.hpp"
#include "privsentry/clock.hpp"

namespace privsentry {

struct LiveOptions {
  RunOptions run;      // the sensor to run in-process
  std::string attach;  // or: the --socket of a running privsentry run
};

// privsentry live: the full-screen view of a sensor run in-process, or of a
// running one through its socket. Needs a terminal.
int live_command(const LiveOptions& options, const ReloadOptions& reload);

// replay --live: the view over a record file, with keys to move in time.
int live_replay(const std::string& file, double speed, std::optional<WallTime> from, std::optional<WallTime> until);

}  // namespace privsentry
