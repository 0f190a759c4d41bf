#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "record/record_format.hpp"

namespace privsentry {

struct RecordEntry {
  EntryKind kind = EntryKind::kTick;
  std::int64_t wall_ns = 0;
  std::string data;
};

// Reads a record file block by block, checking every block (magic, version,
// sequence, lengths, the SHA-256 chain, decompression) before handing on its
// entries. At the first damage it stops; error() says where and why.
class RecordReader {
 public:
  explicit RecordReader(const std::filesystem::path& path);

  // The header's JSON; nullopt (and error()) if the file does not start with one.
  [[nodiscard]] const std::optional<nlohmann::json>& header() const { return header_; }
  // The next entry, or nullopt at the end or at damage.
  std::optional<RecordEntry> next();

  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] bool closed() const { return closing_.has_value(); }
  [[nodiscard]] const std::optional<nlohmann::json>& closing() const { return closing_; }
  [[nodiscard]] std::uint32_t blocks_read() const { return blocks_; }
  [[nodiscard]] std::uint64_t entries_read() const { return entries_; }
  // Bytes of whole, checked blocks read so far.
  [[nodiscard]] std::uint64_t offset() const { return offset_; }
  [[nodiscard]] std::string last_hash() const;

 private:
  bool read_block();
  void fail(const std::string& why);

  std::ifstream in_;
  std::uint64_t offset_ = 0;
  std::uint32_t blocks_ = 0;
  std::uint64_t entries_ = 0;
  Sha256 previous_{};
  std::optional<nlohmann::json> header_;
  std::optional<nlohmann::json> closing_;
  std::deque<RecordEntry> pending_;
  std::string error_;
  bool done_ = false;
};

// replay --verify: is the file whole (header to closing block, totals as the
// closing block says) and untouched (every hash in the chain right)?
struct VerifyReport {
  bool whole = false;
  std::string problem;  // where and what, when not whole
  std::uint32_t blocks = 0;
  std::uint64_t entries = 0;
  std::string last_hash;
};

VerifyReport verify_record(const std::filesystem::path& path);

}  // namespace privsentry
