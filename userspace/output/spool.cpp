#include "output/spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

namespace privsentry {
namespace {

constexpr std::size_t kHeaderBytes = 16;               // u32 length, u32 crc, i64 time
constexpr std::uint32_t kMaxRecordBytes = 16U << 20U;  // a record larger than this is corruption

void put_u32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    p[i] = static_cast<unsigned char>(v >> (8U * static_cast<unsigned>(i)));
  }
}
void put_i64(unsigned char* p, std::int64_t value) {
  const auto v = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    p[i] = static_cast<unsigned char>(v >> (8U * static_cast<unsigned>(i)));
  }
}
std::uint32_t get_u32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8U) | p[i];
  }
  return v;
}
std::int64_t get_i64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8U) | p[i];
  }
  return static_cast<std::int64_t>(v);
}

std::uint32_t crc_of(std::int64_t time_ms, const std::string& data) {
  unsigned char time_bytes[8];
  put_i64(time_bytes, time_ms);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, time_bytes, sizeof(time_bytes));
  crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  return static_cast<std::uint32_t>(crc);
}

Expected<bool> fsync_dir(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    return Error{"fsync " + dir.string() + ": " + errno_text(errno)};
  }
  return true;
}

// Reads one framed record at offset; nullopt at a clean end, an error for a
// torn or corrupt one.
struct ReadResult {
  bool end = false;
  bool corrupt = false;
  SpoolRecord record;
  std::uint64_t next = 0;
};

ReadResult read_record(int fd, std::uint64_t offset, std::uint64_t file_size) {
  ReadResult result;
  if (offset >= file_size) {
    result.end = true;
    return result;
  }
  std::array<unsigned char, kHeaderBytes> header{};
  if (file_size - offset < kHeaderBytes ||
      ::pread(fd, header.data(), header.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(header.size())) {
    result.corrupt = true;
    return result;
  }
  const std::uint32_t length = get_u32(header.data());
  const std::uint32_t crc = get_u32(header.data() + 4);
  result.record.time_ms = get_i64(header.data() + 8);
  if (length > kMaxRecordBytes || file_size - offset - kHeaderBytes < length) {
    result.corrupt = true;
    return result;
  }
  result.record.data.resize(length);
  if (length > 0 && ::pread(fd, result.record.data.data(), length, static_cast<off_t>(offset + kHeaderBytes)) !=
                        static_cast<ssize_t>(length)) {
    result.corrupt = true;
    return result;
  }
  if (crc_of(result.record.time_ms, result.record.data) != crc) {
    result.corrupt = true;
    return result;
  }
  result.next = offset + kHeaderBytes + length;
  return result;
}

}  // namespace

Spool::Spool(SpoolOptions options) : options_(std::move(options)) {}

Spool::~Spool() = default;

std::filesystem::path Spool::segment_path(std::uint64_t segment) const {
  char name[32];
  std::snprintf(name, sizeof(name), "seg-%016llx.log", static_cast<unsigned long long>(segment));
  return options_.dir / name;
}

Expected<std::unique_ptr<Spool>> Spool::open(const SpoolOptions& requested) {
  SpoolOptions options = requested;
  // Several segments fit under the cap, so it can drop the oldest ones whole.
  options.segment_bytes = std::max<std::uint64_t>(64U << 10U, std::min(options.segment_bytes, options.max_bytes / 4));
  std::unique_ptr<Spool> spool(new Spool(options));
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return Error{"spool " + options.dir.string() + ": " + ec.message()};
  }
  // Owner-only: the backlog holds every finding about the host.
  if (::chmod(options.dir.c_str(), 0700) != 0) {
    return Error{"spool " + options.dir.string() + ": chmod: " + errno_text(errno)};
  }
  auto recovered = spool->recover();
  if (!recovered) {
    return recovered.error();
  }
  return spool;
}

Expected<bool> Spool::recover() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    const auto name = entry.path().filename().string();
    if (name.size() != 24 || name.rfind("seg-", 0) != 0 || name.substr(20) != ".log") {
      continue;
    }
    std::uint64_t segment = 0;
    const auto [ptr, parse] = std::from_chars(name.data() + 4, name.data() + 20, segment, 16);
    if (parse == std::errc() && ptr == name.data() + 20) {
      segments_[segment] = Segment{entry.file_size(ec)};
    }
  }
  if (ec) {
    return Error{"spool " + options_.dir.string() + ": " + ec.message()};
  }

  head_ = Position{segments_.empty() ? 1 : segments_.begin()->first, 0};
  std::ifstream head_file(options_.dir / "head");
  std::uint64_t head_segment = 0;
  std::uint64_t head_offset = 0;
  if (head_file >> std::hex >> head_segment >> std::dec >> head_offset) {
    if (segments_.contains(head_segment)) {
      head_ = Position{head_segment, head_offset};
    } else if (!segments_.empty() && head_segment > segments_.rbegin()->first) {
      head_ = Position{head_segment, 0};
    }
  }
  // Segments wholly before the head were delivered already.
  while (!segments_.empty() && segments_.begin()->first < head_.segment) {
    std::filesystem::remove(segment_path(segments_.begin()->first), ec);
    segments_.erase(segments_.begin());
  }

  // Count what is left, and cut each segment at its first bad record.
  for (auto& [segment, info] : segments_) {
    UniqueFd fd(::open(segment_path(segment).c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) {
      return Error{"spool " + segment_path(segment).string() + ": " + errno_text(errno)};
    }
    std::uint64_t offset = segment == head_.segment ? head_.offset : 0;
    std::uint64_t good_end = offset;
    while (true) {
      const auto read = read_record(fd.get(), offset, info.size);
      if (read.end) {
        break;
      }
      if (read.corrupt) {
        // A torn tail: the bytes after the last whole record are not records.
        ++recovered_losses_;
        if (::ftruncate(fd.get(), static_cast<off_t>(good_end)) != 0) {
          return Error{"spool: truncating a torn segment: " + errno_text(errno)};
        }
        info.size = good_end;
        break;
      }
      ++records_;
      offset = read.next;
      good_end = offset;
    }
  }
  const std::uint64_t last = segments_.empty() ? head_.segment : segments_.rbegin()->first;
  return open_writer(last);
}

Expected<bool> Spool::open_writer(std::uint64_t segment) {
  const auto path = segment_path(segment);
  writer_ = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!writer_.valid()) {
    return Error{"spool " + path.string() + ": " + errno_text(errno)};
  }
  writer_segment_ = segment;
  if (!segments_.contains(segment)) {
    segments_[segment] = Segment{0};
    auto synced = fsync_dir(options_.dir);
    if (!synced) {
      return synced.error();
    }
  }
  return true;
}

std::uint64_t Spool::bytes() const {
  std::uint64_t total = 0;
  for (const auto& [segment, info] : segments_) {
    total += info.size;
  }
  return total;
}

Expected<SpoolDrop> Spool::drop_oldest_segment() {
  SpoolDrop drop;
  const auto segment = segments_.begin()->first;
  const auto size = segments_.begin()->second.size;
  {
    UniqueFd fd(::open(segment_path(segment).c_str(), O_RDONLY | O_CLOEXEC));
    std::uint64_t offset = segment == head_.segment ? head_.offset : 0;
    while (fd.valid()) {
      const auto read = read_record(fd.get(), offset, size);
      if (read.end || read.corrupt) {
        break;
      }
      if (drop.records == 0) {
        drop.oldest_ms = read.record.time_ms;
      }
      drop.newest_ms = read.record.time_ms;
      ++drop.records;
      offset = read.next;
    }
  }
  std::error_code ec;
  std::filesystem::remove(segment_path(segment), ec);
  segments_.erase(segments_.begin());
  records_ -= std::min(records_, drop.records);
  head_ = Position{segments_.empty() ? writer_segment_ : segments_.begin()->first, 0};
  peeked_ends_.clear();
  auto saved = save_head();
  if (!saved) {
    return saved.error();
  }
  return drop;
}

Expected<SpoolDrop> Spool::append(const std::vector<SpoolRecord>& records) {
  SpoolDrop dropped;
  std::string buffer;
  for (const auto& record : records) {
    unsigned char header[kHeaderBytes];
    put_u32(header, static_cast<std::uint32_t>(record.data.size()));
    put_u32(header + 4, crc_of(record.time_ms, record.data));
    put_i64(header + 8, record.time_ms);
    buffer.append(reinterpret_cast<const char*>(header), sizeof(header));
    buffer += record.data;
  }
  // Start a new segment when this one is full, so the cap can drop whole
  // segments of the oldest records.
  if (segments_[writer_segment_].size > 0 && segments_[writer_segment_].size + buffer.size() > options_.segment_bytes) {
    auto opened = open_writer(writer_segment_ + 1);
    if (!opened) {
      return opened.error();
    }
  }
  while (bytes() + buffer.size() > options_.max_bytes && segments_.size() > 1) {
    auto drop = drop_oldest_segment();
    if (!drop) {
      return drop.error();
    }
    if (dropped.records == 0) {
      dropped.oldest_ms = drop->oldest_ms;
    }
    if (drop->records > 0) {
      dropped.newest_ms = drop->newest_ms;
    }
    dropped.records += drop->records;
  }
  if (const int error = write_all(writer_.get(), buffer.data(), buffer.size()); error != 0) {
    return Error{"spool write " + segment_path(writer_segment_).string() + ": " + errno_text(error)};
  }
  if (::fdatasync(writer_.get()) != 0) {
    return Error{"spool fdatasync: " + errno_text(errno)};
  }
  segments_[writer_segment_].size += buffer.size();
  records_ += records.size();
  return dropped;
}

Expected<std::vector<SpoolRecord>> Spool::peek(std::size_t max_records) {
  std::vector<SpoolRecord> out;
  peeked_ends_.clear();
  Position position = head_;
  while (out.size() < max_records) {
    const auto segment = segments_.find(position.segment);
    if (segment == segments_.end()) {
      break;
    }
    UniqueFd fd(::open(segment_path(position.segment).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      return Error{"spool read " + segment_path(position.segment).string() + ": " + errno_text(errno)};
    }
    while (out.size() < max_records) {
      auto read = read_record(fd.get(), position.offset, segment->second.size);
      if (read.end || read.corrupt) {
        break;
      }
      out.push_back(std::move(read.record));
      position.offset = read.next;
      peeked_ends_.push_back(position);
    }
    if (out.size() < max_records) {
      const auto next = std::next(segment);
      if (next == segments_.end()) {
        break;
      }
      position = Position{next->first, 0};
    }
  }
  return out;
}

Expected<bool> Spool::consume(std::size_t count) {
  if (count == 0) {
    return true;
  }
  if (count > peeked_ends_.size()) {
    return Error{"spool: consuming records that were not read"};
  }
  head_ = peeked_ends_[count - 1];
  records_ -= std::min<std::uint64_t>(records_, count);
  peeked_ends_.clear();
  // Delete every segment before the head, and the head's own when it is
  // finished and no longer written to.
  std::error_code ec;
  while (!segments_.empty() && segments_.begin()->first < head_.segment) {
    std::filesystem::remove(segment_path(segments_.begin()->first), ec);
    segments_.erase(segments_.begin());
  }
  if (head_.segment != writer_segment_ && segments_.contains(head_.segment) &&
      head_.offset >= segments_[head_.segment].size) {
    std::filesystem::remove(segment_path(head_.segment), ec);
    segments_.erase(head_.segment);
    head_ = Position{segments_.empty() ? writer_segment_ : segments_.begin()->first, 0};
  }
  if (records_ == 0 && head_.segment == writer_segment_ && segments_[writer_segment_].size == head_.offset &&
      head_.offset > 0) {
    // Everything delivered: start the writer's file afresh.
    if (::ftruncate(writer_.get(), 0) != 0) {
      return Error{"spool: truncating a delivered segment: " + errno_text(errno)};
    }
    segments_[writer_segment_].size = 0;
    head_.offset = 0;
  }
  return save_head();
}

Expected<bool> Spool::save_head() {
  const auto tmp = options_.dir / "head.tmp";
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
      return Error{"spool head: " + errno_text(errno)};
    }
    char text[64];
    const int n = std::snprintf(text, sizeof(text), "%llx %llu\n", static_cast<unsigned long long>(head_.segment),
                                static_cast<unsigned long long>(head_.offset));
    if (::write(fd.get(), text, static_cast<std::size_t>(n)) != n || ::fdatasync(fd.get()) != 0) {
      return Error{"spool head: " + errno_text(errno)};
    }
  }
  if (::rename(tmp.c_str(), (options_.dir / "head").c_str()) != 0) {
    return Error{"spool head: rename: " + errno_text(errno)};
  }
  return fsync_dir(options_.dir);
}

}  // namespace privsentry
