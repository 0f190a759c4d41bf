#pragma once

#include <string>

namespace privsentry {

struct ReplayOptions {
  std::string file;
  bool verify = false;
  bool as_recorded = false;
  bool live = false;
  double speed = 0;  // 0: as fast as possible
  std::string from;  // RFC 3339
  std::string until;
  std::string log_level = "warn";
};

// privsentry replay: a record file through the same pipeline, as NDJSON (or
// in the live view). Exit 0 for a whole file, 1 if it stopped at damage or
// --verify found the file altered or cut, 2 on error.
int replay_command(const ReplayOptions& options);

}  // namespace privsentry
