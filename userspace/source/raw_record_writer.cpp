#include "source/raw_record_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>

#include "source/raw_record_format.hpp"
#include "util/file.hpp"

namespace privsentry {

RawRecordWriter::RawRecordWriter(const std::filesystem::path& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    throw std::runtime_error("cannot create " + path.string() + ": " + errno_text(errno));
  }
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    ::close(fd);
    throw std::runtime_error("cannot open " + path.string() + ": " + errno_text(errno));
  }
  if (std::fwrite(kRawRecordMagic.data(), 1, kRawRecordMagic.size(), file_) != kRawRecordMagic.size()) {
    throw std::runtime_error("cannot write " + path.string() + ": " + errno_text(errno));
  }
}

RawRecordWriter::~RawRecordWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
  }
}

void RawRecordWriter::write(std::span<const std::byte> record) {
  const auto size = static_cast<std::uint32_t>(record.size());
  const std::array<unsigned char, 4> length = {
      static_cast<unsigned char>(size & 0xffU), static_cast<unsigned char>((size >> 8U) & 0xffU),
      static_cast<unsigned char>((size >> 16U) & 0xffU), static_cast<unsigned char>((size >> 24U) & 0xffU)};
  if (std::fwrite(length.data(), 1, length.size(), file_) != length.size() ||
      std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    throw std::runtime_error("writing " + path_.string() + " failed: " + errno_text(errno));
  }
}

void RawRecordWriter::flush() {
  if (std::fflush(file_) != 0) {
    throw std::runtime_error("flushing " + path_.string() + " failed: " + errno_text(errno));
  }
}

}  // namespace privsentry
