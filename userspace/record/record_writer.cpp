#include "record/record_writer.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "sinks/native_json_encoder.hpp"

namespace privsentry {
namespace {

constexpr std::size_t kBlockTarget = 64U << 10U;

void put_u32(std::string& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (8U * static_cast<unsigned>(i))) & 0xffU);
  }
}

}  // namespace

std::string sha256_hex(const Sha256& hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const auto byte : hash) {
    out.push_back(kHex[byte >> 4U]);
    out.push_back(kHex[byte & 0xfU]);
  }
  return out;
}

std::string_view to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::kKernel:
      return "kernel";
    case EntryKind::kDocker:
      return "docker";
    case EntryKind::kOutput:
      return "output";
    case EntryKind::kScan:
      return "scan";
    case EntryKind::kDevice:
      return "device";
    case EntryKind::kTick:
      return "tick";
    case EntryKind::kBundle:
      return "bundle";
  }
  return "unknown";
}

RecordWriter::RecordWriter(const std::filesystem::path& path, const nlohmann::json& header) : path_(path) {
  // Never over an earlier recording: it may be evidence.
  fd_ = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd_.valid()) {
    const int error = errno;
    throw std::runtime_error("cannot create record file " + path.string() + ": " + errno_text(error) +
                             (error == EEXIST ? " (a record file is never overwritten; choose a new name)" : ""));
  }
  nlohmann::json full = header;
  full["format"] = "privsentry-record";
  full["format_version"] = kRecordFormatVersion;
  write_block(BlockType::kHeader, dump_safe(full), 0);
}

RecordWriter::~RecordWriter() {
  if (!closed_) {
    try {
      close({{"closed_by", "destructor"}});
    } catch (...) {
      // Nothing to do: the file ends without its closing block, and replay
      // says so.
    }
  }
}

void RecordWriter::append(EntryKind kind, std::int64_t wall_ns, std::span<const std::byte> data) {
  std::string header(kEntryHeaderBytes, '\0');
  header[0] = static_cast<char>(kind);
  put_u32(header, 4, static_cast<std::uint32_t>(data.size()));
  const auto wall = static_cast<std::uint64_t>(wall_ns);
  put_u32(header, 8, static_cast<std::uint32_t>(wall & 0xffffffffU));
  put_u32(header, 12, static_cast<std::uint32_t>(wall >> 32U));
  pending_ += header;
  pending_.append(reinterpret_cast<const char*>(data.data()), data.size());
  ++pending_entries_;
  ++entries_;
  ++by_kind_[std::string(to_string(kind))];
  if (pending_.size() >= kBlockTarget) {
    flush();
  }
}

void RecordWriter::append(EntryKind kind, std::int64_t wall_ns, const std::string& text) {
  append(kind, wall_ns, std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

void RecordWriter::flush() {
  if (pending_entries_ == 0) {
    return;
  }
  write_block(BlockType::kData, pending_, pending_entries_);
  pending_.clear();
  pending_entries_ = 0;
}

std::string RecordWriter::close(const nlohmann::json& extra) {
  flush();
  nlohmann::json totals = extra;
  totals["blocks"] = sequence_ + 1;  // the closing block included
  totals["entries"] = entries_;
  totals["entries_by_kind"] = by_kind_;
  write_block(BlockType::kClosing, dump_safe(totals), 0);
  closed_ = true;
  return sha256_hex(previous_);
}

void RecordWriter::write_block(BlockType type, const std::string& raw, std::uint32_t entries) {
  uLongf compressed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string block(kBlockHeaderBytes + compressed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(block.data() + kBlockHeaderBytes), &compressed_size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), 6) != Z_OK) {
    throw std::runtime_error("record file " + path_.string() + ": compression failed");
  }
  block.resize(kBlockHeaderBytes + compressed_size);
  std::memcpy(block.data(), kRecordMagic.data(), 4);
  block[4] = static_cast<char>(type);
  block[5] = static_cast<char>(kRecordFormatVersion);
  put_u32(block, 8, sequence_);
  put_u32(block, 12, static_cast<std::uint32_t>(compressed_size));
  put_u32(block, 16, static_cast<std::uint32_t>(raw.size()));
  put_u32(block, 20, entries);
  std::memcpy(block.data() + 24, previous_.data(), previous_.size());

  // The hash covers the fixed fields, the previous hash and the payload.
  Sha256 hash{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int length = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, block.data(), 56);
  EVP_DigestUpdate(ctx, block.data() + kBlockHeaderBytes, compressed_size);
  EVP_DigestFinal_ex(ctx, hash.data(), &length);
  EVP_MD_CTX_free(ctx);
  std::memcpy(block.data() + 56, hash.data(), hash.size());

  if (const int error = write_all(fd_.get(), block.data(), block.size()); error != 0) {
    throw std::runtime_error("writing record file " + path_.string() + ": " + errno_text(error));
  }
  if (::fdatasync(fd_.get()) != 0) {
    throw std::runtime_error("syncing record file " + path_.string() + ": " + errno_text(errno));
  }
  previous_ = hash;
  ++sequence_;
}

}  // namespace privsentry
