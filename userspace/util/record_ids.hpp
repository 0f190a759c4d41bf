#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace privsentry {

// Unique ids for records that have no natural one: 64 random bits chosen at
// start and a 64-bit counter, as 32 hex digits. Thread-safe.
class RecordIds {
 public:
  RecordIds();                               // random prefix from getrandom(2)
  explicit RecordIds(std::uint64_t prefix);  // fixed, for tests
  std::string next();

 private:
  std::uint64_t prefix_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace privsentry
