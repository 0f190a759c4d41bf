#pragma once

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <span>

namespace privsentry {

// Appends ring buffer records to a raw record file (raw_record_format.hpp).
class RawRecordWriter {
 public:
  // Creates or truncates the file, owner-only; throws with the reason.
  explicit RawRecordWriter(const std::filesystem::path& path);
  ~RawRecordWriter();
  RawRecordWriter(const RawRecordWriter&) = delete;
  RawRecordWriter& operator=(const RawRecordWriter&) = delete;

  void write(std::span<const std::byte> record);
  void flush();

 private:
  std::FILE* file_ = nullptr;
  std::filesystem::path path_;
};

}  // namespace privsentry
