#pragma once

#include <filesystem>
#include <string>

#include "app/commands/run_command.hpp"
#include "util/expected.hpp"

namespace privsentry {

inline constexpr const char* kDefaultConfigPath = "/etc/privsentry/privsentry.yaml";

// Every flag has a key of the same name (output is a list); hec-token exists
// only here. Also carries audit's format and doctor's cap-tier.
struct ConfigValues {
  RunOptions run;
  std::string audit_format = "table";
};

// Reads a YAML configuration into values. An unknown key or a bad value is
// an error naming the file, the line and the reason. A file that anyone but
// its owner (root or this user) can write is refused: it decides what the
// sensor runs with.
Expected<bool> load_config_file(const std::filesystem::path& path, ConfigValues& values);

}  // namespace privsentry
