#include "source/raw_record_file_source.hpp"

#include <cstring>
#include <span>
#include <stdexcept>

#include "source/raw_record_format.hpp"
#include "util/file.hpp"

namespace privsentry {

RawRecordFileSource::RawRecordFileSource(const std::filesystem::path& path) {
  auto text = read_small_file(path, 1U << 30U);
  if (!text) {
    throw std::runtime_error(text.error().message);
  }
  if (text->compare(0, kRawRecordMagic.size(), kRawRecordMagic) != 0) {
    throw std::runtime_error(path.string() + " is not a raw record file (bad magic)");
  }
  data_.resize(text->size());
  std::memcpy(data_.data(), text->data(), text->size());
  offset_ = kRawRecordMagic.size();
}

int RawRecordFileSource::poll(std::chrono::milliseconds /*timeout*/, const RecordHandler& handler) {
  // A file has no waiting: hand on everything, in order.
  int handed = 0;
  while (!finished()) {
    if (data_.size() - offset_ < 4) {
      error_ = "truncated record length at byte " + std::to_string(offset_);
      break;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(data_.data() + offset_);
    const std::uint32_t length = static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8U) |
                                 (static_cast<std::uint32_t>(p[2]) << 16U) | (static_cast<std::uint32_t>(p[3]) << 24U);
    if (length > kMaxRawRecordBytes) {
      error_ = "record of " + std::to_string(length) + " bytes at byte " + std::to_string(offset_) +
               " is larger than any the kernel writes";
      break;
    }
    if (data_.size() - offset_ - 4 < length) {
      error_ = "record at byte " + std::to_string(offset_) + " is cut short: " + std::to_string(length) +
               " bytes announced, " + std::to_string(data_.size() - offset_ - 4) + " present";
      break;
    }
    handler(std::span<const std::byte>(data_.data() + offset_ + 4, length));
    offset_ += 4 + length;
    ++records_;
    ++handed;
  }
  return handed;
}

}  // namespace privsentry
