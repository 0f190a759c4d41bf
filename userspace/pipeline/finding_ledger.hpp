#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "util/bounded_id_set.hpp"
#include "util/expected.hpp"
#include "util/file.hpp"

namespace privsentry {

// The ids of findings the sensor has handed to its sinks, kept in a file of
// its state directory so that a sensor killed and started again does not
// send them a second time. Finding ids are stable for (host, container,
// rule, qualifier), so the same finding about the same container has the
// same id after a restart.
//
// One id per line after a version line; appended and fdatasync'd as each
// finding goes out (findings are rare; losing one to a crash would mean
// sending it twice, which is the lesser fault). Bounded: past twice the
// limit the file is rewritten with the newest ids. Owner-only, and locked,
// so two sensors cannot share one.
class FindingLedger {
 public:
  static constexpr std::size_t kDefaultLimit = 16384;
  static constexpr const char* kFileName = "delivered-findings";

  // Creates the directory (0700) if needed. An error names the path and why.
  static Expected<std::unique_ptr<FindingLedger>> open(const std::filesystem::path& dir,
                                                       std::size_t limit = kDefaultLimit);

  [[nodiscard]] bool contains(const std::string& id) const { return ids_.contains(id); }
  // Remembers one more delivered id. An error (disk full) is returned, and
  // the id is still remembered in memory.
  Expected<bool> add(const std::string& id);

  [[nodiscard]] std::size_t size() const { return ids_.size(); }
  [[nodiscard]] std::size_t loaded() const { return loaded_; }
  [[nodiscard]] std::size_t skipped_lines() const { return skipped_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  FindingLedger(std::filesystem::path path, std::size_t limit) : path_(std::move(path)), limit_(limit), ids_(limit) {}
  Expected<bool> load();
  Expected<bool> rewrite();

  std::filesystem::path path_;
  std::size_t limit_;
  UniqueFd fd_;
  BoundedIdSet ids_;
  std::size_t lines_ = 0;  // ids in the file, for when to rewrite it
  std::size_t loaded_ = 0;
  std::size_t skipped_ = 0;
};

// A finding id: 32 lower-case hex digits.
bool is_finding_id(std::string_view text);

}  // namespace privsentry
