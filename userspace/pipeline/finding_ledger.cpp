#include "pipeline/finding_ledger.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/text.hpp"

namespace privsentry {
namespace {

constexpr std::string_view kVersionLine = "privsentry delivered findings 1";
constexpr std::size_t kMaxFileBytes = 64U << 20U;

}  // namespace

bool is_finding_id(std::string_view text) { return text.size() == 32 && is_hex_id(text); }

Expected<std::unique_ptr<FindingLedger>> FindingLedger::open(const std::filesystem::path& dir, std::size_t limit) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error{"state directory " + dir.string() + ": " + ec.message()};
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return Error{"state directory " + dir.string() + ": " + errno_text(errno)};
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error{"state directory " + dir.string() + ": not a directory"};
  }
  if (st.st_uid != ::geteuid()) {
    return Error{"state directory " + dir.string() + ": refused: owned by uid " + std::to_string(st.st_uid) +
                 ", not by this user"};
  }
  // Owner-only: which containers were found privileged is for the sensor.
  if ((st.st_mode & 0077U) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return Error{"state directory " + dir.string() + ": chmod: " + errno_text(errno)};
  }
  std::unique_ptr<FindingLedger> ledger(new FindingLedger(dir / kFileName, limit == 0 ? 1 : limit));
  ledger->fd_ =
      UniqueFd(::open(ledger->path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600));
  if (!ledger->fd_.valid()) {
    return Error{ledger->path_.string() + ": " + errno_text(errno)};
  }
  if (::flock(ledger->fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    return Error{ledger->path_.string() + ": " +
                 (errno == EWOULDBLOCK ? std::string("in use by another privsentry (give each its own --state-dir)")
                                       : errno_text(errno))};
  }
  if (::fchmod(ledger->fd_.get(), 0600) != 0) {
    return Error{ledger->path_.string() + ": fchmod: " + errno_text(errno)};
  }
  auto loaded = ledger->load();
  if (!loaded) {
    return loaded.error();
  }
  return ledger;
}

Expected<bool> FindingLedger::load() {
  auto text = read_small_file(path_, kMaxFileBytes);
  if (!text) {
    return Error{path_.string() + ": " + text.error().message};
  }
  std::string_view rest = *text;
  bool first = true;
  bool versioned = rest.empty();
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    // A last line without its newline was being written when the sensor
    // died: it is not trusted.
    if (end == std::string_view::npos) {
      ++skipped_;
      break;
    }
    const auto line = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    if (first) {
      first = false;
      versioned = line == kVersionLine;
      if (versioned) {
        continue;
      }
    }
    if (is_finding_id(line)) {
      ids_.insert(std::string(line));
      ++lines_;
    } else {
      ++skipped_;
    }
  }
  loaded_ = ids_.size();
  // A file from elsewhere, a torn tail or one past its bound: rewritten to
  // what was understood, so that appends start on a clean line.
  if (!versioned || skipped_ != 0 || lines_ > 2 * limit_) {
    return rewrite();
  }
  return true;
}

Expected<bool> FindingLedger::add(const std::string& id) {
  if (!ids_.insert(id)) {
    return true;
  }
  if (++lines_ > 2 * limit_) {
    return rewrite();
  }
  const std::string line = id + "\n";
  if (const int error = write_all(fd_.get(), line.data(), line.size()); error != 0) {
    return Error{path_.string() + ": " + errno_text(error)};
  }
  if (::fdatasync(fd_.get()) != 0) {
    return Error{path_.string() + ": fdatasync: " + errno_text(errno)};
  }
  return true;
}

// The newest ids into a new file, renamed over the old one; the lock moves
// with the new file's descriptor.
Expected<bool> FindingLedger::rewrite() {
  const auto tmp = path_.string() + ".new";
  ::unlink(tmp.c_str());
  UniqueFd fd(::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) {
    return Error{tmp + ": " + errno_text(errno)};
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return Error{tmp + ": flock: " + errno_text(errno)};
  }
  std::string text(kVersionLine);
  text += '\n';
  for (const auto& id : ids_.in_order()) {
    text += id;
    text += '\n';
  }
  int error = write_all(fd.get(), text.data(), text.size());
  if (error == 0 && ::fsync(fd.get()) != 0) {
    error = errno;
  }
  if (error != 0) {
    const std::string why = errno_text(error);
    ::unlink(tmp.c_str());
    return Error{tmp + ": " + why};
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    const std::string why = errno_text(errno);
    ::unlink(tmp.c_str());
    return Error{path_.string() + ": rename: " + why};
  }
  fd_ = std::move(fd);
  lines_ = ids_.size();
  return true;
}

}  // namespace privsentry
