#include "output/file_transport.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace privsentry {

FileTransport::FileTransport(std::filesystem::path path, std::uint64_t max_bytes, unsigned keep,
                             RecordFormatter formatter)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_(keep), formatter_(std::move(formatter)) {}

bool FileTransport::open_file(std::string& error) {
  fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd_.valid()) {
    error = "open " + path_.string() + ": " + errno_text(errno);
    return false;
  }
  struct stat st {};
  size_ = ::fstat(fd_.get(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  return true;
}

bool FileTransport::rotate(std::string& error) {
  fd_ = UniqueFd();
  std::error_code ec;
  std::filesystem::remove(path_.string() + "." + std::to_string(keep_), ec);
  for (unsigned i = keep_; i > 1; --i) {
    const auto from = path_.string() + "." + std::to_string(i - 1);
    if (std::filesystem::exists(from, ec)) {
      std::filesystem::rename(from, path_.string() + "." + std::to_string(i), ec);
    }
  }
  std::filesystem::rename(path_, path_.string() + ".1", ec);
  if (ec) {
    error = "rotate " + path_.string() + ": " + ec.message();
    return false;
  }
  return open_file(error);
}

DeliveryResult FileTransport::deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) {
  DeliveryResult result;
  if (!fd_.valid() && !open_file(result.error)) {
    return result;
  }
  for (const auto& record : records) {
    std::string line = formatter_.format_line(*record);
    line.push_back('\n');
    if (size_ > 0 && size_ + line.size() > max_bytes_ && !rotate(result.error)) {
      return result;
    }
    if (const int error = write_all(fd_.get(), line.data(), line.size()); error != 0) {
      result.error = "write " + path_.string() + ": " + errno_text(error);
      fd_ = UniqueFd();  // reopen on the next try
      return result;
    }
    size_ += line.size();
  }
  result.ok = true;
  return result;
}

void FileTransport::reopen() { fd_ = UniqueFd(); }

}  // namespace privsentry
