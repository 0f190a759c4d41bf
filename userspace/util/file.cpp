#include "util/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace privsentry {

std::string errno_text(int error) {
  char buf[128];
  // GNU strerror_r returns the message, which may not be buf.
  const char* text = strerror_r(error, buf, sizeof(buf));
  return text;
}

int write_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd, bytes + written, size - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    written += static_cast<std::size_t>(n);
  }
  return 0;
}

Expected<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) {
    return Error{"open " + path.string() + ": " + errno_text(errno)};
  }
  std::string out;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error{"read " + path.string() + ": " + errno_text(errno)};
    }
    if (n == 0) {
      return out;
    }
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      return Error{"read " + path.string() + ": larger than " + std::to_string(max_bytes) + " bytes"};
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

}  // namespace privsentry
