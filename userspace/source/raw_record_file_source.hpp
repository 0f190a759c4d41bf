#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "privsentry/event_source.hpp"

namespace privsentry {

// Replays a raw record file (raw_record_format.hpp) into the same pipeline as
// the ring buffer. A damaged file replays up to the damage; error() says where
// and why it stopped.
class RawRecordFileSource final : public EventSource {
 public:
  explicit RawRecordFileSource(const std::filesystem::path& path);

  int poll(std::chrono::milliseconds timeout, const RecordHandler& handler) override;
  [[nodiscard]] int fd() const override { return -1; }

  [[nodiscard]] bool finished() const { return offset_ >= data_.size() || !error_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::size_t records_read() const { return records_; }

 private:
  std::vector<std::byte> data_;
  std::size_t offset_ = 0;
  std::size_t records_ = 0;
  std::string error_;
};

}  // namespace privsentry
