#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "record/record_format.hpp"
#include "util/file.hpp"

namespace privsentry {

// Writes a record file: the header block now, data blocks as entries come
// (one when 64 KiB have gathered, or at flush()), and the closing block with
// the totals at close(). Each block is fdatasync'd, so a crash loses at most
// the entries not yet flushed. Owner-only.
class RecordWriter {
 public:
  RecordWriter(const std::filesystem::path& path, const nlohmann::json& header);
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  void append(EntryKind kind, std::int64_t wall_ns, std::span<const std::byte> data);
  void append(EntryKind kind, std::int64_t wall_ns, const std::string& text);
  void flush();
  // Writes the closing block; returns the last block's SHA-256, in hex, to
  // keep apart from the file.
  std::string close(const nlohmann::json& extra = nlohmann::json::object());

 private:
  void write_block(BlockType type, const std::string& raw, std::uint32_t entries);

  std::filesystem::path path_;
  UniqueFd fd_;
  std::string pending_;
  std::uint32_t pending_entries_ = 0;
  std::uint32_t sequence_ = 0;
  Sha256 previous_{};
  std::uint64_t entries_ = 0;
  std::map<std::string, std::uint64_t> by_kind_;
  bool closed_ = false;
};

std::string sha256_hex(const Sha256& hash);
std::string_view to_string(EntryKind kind);

}  // namespace privsentry
