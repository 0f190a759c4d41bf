#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace privsentry::test {

// The text of a committed fixture under tests/fixtures.
inline std::string fixture(std::string_view relative) {
  const std::string path = std::string(PRIVSENTRY_FIXTURES) + "/" + std::string(relative);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("missing fixture " + path);
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace privsentry::test
