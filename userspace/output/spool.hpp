#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/expected.hpp"
#include "util/file.hpp"

namespace privsentry {

struct SpoolOptions {
  std::filesystem::path dir;
  std::uint64_t max_bytes = 64ULL << 20U;
  std::uint64_t segment_bytes = 4ULL << 20U;
};

struct SpoolRecord {
  std::int64_t time_ms = 0;
  std::string data;
};

// What the cap pushed out: the oldest records, whole segments at a time.
struct SpoolDrop {
  std::uint64_t records = 0;
  std::int64_t oldest_ms = 0;
  std::int64_t newest_ms = 0;
};

// A sink's backlog on disk, in order: segment files of framed records
// (length, CRC-32, time, bytes), appended and fdatasync'd, with a head file
// that says how far delivery got. It survives a restart of the sensor; a
// record torn by a crash is cut off at open. Not thread-safe: one delivery
// thread owns it.
class Spool {
 public:
  static Expected<std::unique_ptr<Spool>> open(const SpoolOptions& options);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Appends in order and makes it durable. If the cap would be passed, the
  // oldest segments go first; the result says what was dropped.
  Expected<SpoolDrop> append(const std::vector<SpoolRecord>& records);
  // Up to max_records from the head, not yet consumed.
  Expected<std::vector<SpoolRecord>> peek(std::size_t max_records);
  // Marks the first count records (of the last peek) delivered.
  Expected<bool> consume(std::size_t count);

  [[nodiscard]] bool empty() const { return records_ == 0; }
  [[nodiscard]] std::uint64_t records() const { return records_; }
  [[nodiscard]] std::uint64_t bytes() const;
  // Records cut off at open (torn writes, corruption).
  [[nodiscard]] std::uint64_t recovered_losses() const { return recovered_losses_; }

 private:
  struct Position {
    std::uint64_t segment = 0;
    std::uint64_t offset = 0;
  };
  struct Segment {
    std::uint64_t size = 0;
  };

  explicit Spool(SpoolOptions options);
  Expected<bool> recover();
  Expected<bool> open_writer(std::uint64_t segment);
  Expected<bool> save_head();
  Expected<SpoolDrop> drop_oldest_segment();
  [[nodiscard]] std::filesystem::path segment_path(std::uint64_t segment) const;

  SpoolOptions options_;
  std::map<std::uint64_t, Segment> segments_;
  Position head_;
  UniqueFd writer_;
  std::uint64_t writer_segment_ = 0;
  std::uint64_t records_ = 0;
  std::uint64_t recovered_losses_ = 0;
  std::vector<Position> peeked_ends_;
};

}  // namespace privsentry
