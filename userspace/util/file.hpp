#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "util/expected.hpp"

namespace privsentry {

// Reads a whole file of at most max_bytes (procfs and cgroupfs files report
// size 0, so this reads until EOF). Larger files are an error, not truncated.
Expected<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

// errno as text, for error messages.
std::string errno_text(int error);

// Writes all size bytes to fd, through short writes and EINTR. Returns 0, or
// the errno of the write that failed.
int write_all(int fd, const void* data, std::size_t size);

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd();

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace privsentry
