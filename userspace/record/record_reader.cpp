#include "record/record_reader.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <cstring>

#include "record/record_writer.hpp"

namespace privsentry {
namespace {

std::uint32_t get_u32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8U) |
         (static_cast<std::uint32_t>(p[2]) << 16U) | (static_cast<std::uint32_t>(p[3]) << 24U);
}

}  // namespace

RecordReader::RecordReader(const std::filesystem::path& path) : in_(path, std::ios::binary) {
  if (!in_) {
    fail("cannot open " + path.string());
    return;
  }
  if (!read_block()) {
    return;
  }
  if (!header_) {
    fail("the file does not start with a header block");
  }
}

std::string RecordReader::last_hash() const { return sha256_hex(previous_); }

void RecordReader::fail(const std::string& why) {
  if (error_.empty()) {
    error_ = "block " + std::to_string(blocks_) + " (byte " + std::to_string(offset_) + "): " + why;
  }
  done_ = true;
}

std::optional<RecordEntry> RecordReader::next() {
  while (pending_.empty() && !done_) {
    if (!read_block()) {
      break;
    }
  }
  if (pending_.empty()) {
    return std::nullopt;
  }
  auto entry = std::move(pending_.front());
  pending_.pop_front();
  return entry;
}

bool RecordReader::read_block() {
  if (done_ || closing_) {
    done_ = true;
    return false;
  }
  std::array<unsigned char, kBlockHeaderBytes> head{};
  in_.read(reinterpret_cast<char*>(head.data()), head.size());
  const auto got = static_cast<std::size_t>(in_.gcount());
  if (got == 0) {
    fail(
        "the file ends without a closing block: it was cut short (the sensor did not stop cleanly, or the file "
        "was truncated)");
    return false;
  }
  if (got < head.size()) {
    fail("a block header is cut short");
    return false;
  }
  if (std::memcmp(head.data(), kRecordMagic.data(), 4) != 0) {
    fail("not a record block (bad magic)");
    return false;
  }
  const auto type = static_cast<BlockType>(head[4]);
  if (head[5] != kRecordFormatVersion) {
    fail("format version " + std::to_string(head[5]) + ", this build reads " + std::to_string(kRecordFormatVersion));
    return false;
  }
  if (get_u32(head.data() + 8) != blocks_) {
    fail("sequence number " + std::to_string(get_u32(head.data() + 8)) + " where " + std::to_string(blocks_) +
         " belongs: a block was removed, repeated or moved");
    return false;
  }
  const std::uint32_t compressed = get_u32(head.data() + 12);
  const std::uint32_t raw_length = get_u32(head.data() + 16);
  const std::uint32_t entries = get_u32(head.data() + 20);
  if (compressed > kMaxBlockBytes || raw_length > kMaxBlockBytes) {
    fail("a block larger than any the sensor writes");
    return false;
  }
  if (std::memcmp(head.data() + 24, previous_.data(), previous_.size()) != 0) {
    fail("the previous-block hash does not match: the file was altered before this block");
    return false;
  }
  std::string payload(compressed, '\0');
  in_.read(payload.data(), compressed);
  if (static_cast<std::uint32_t>(in_.gcount()) != compressed) {
    fail("the payload is cut short");
    return false;
  }
  Sha256 hash{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int length = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, head.data(), 56);
  EVP_DigestUpdate(ctx, payload.data(), payload.size());
  EVP_DigestFinal_ex(ctx, hash.data(), &length);
  EVP_MD_CTX_free(ctx);
  if (std::memcmp(head.data() + 56, hash.data(), hash.size()) != 0) {
    fail("the SHA-256 does not match its contents: this block was altered");
    return false;
  }
  std::string raw(raw_length, '\0');
  uLongf raw_size = raw_length;
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size, reinterpret_cast<const Bytef*>(payload.data()),
                 compressed) != Z_OK ||
      raw_size != raw_length) {
    fail("the payload does not decompress");
    return false;
  }

  if (type == BlockType::kHeader || type == BlockType::kClosing) {
    auto parsed = nlohmann::json::parse(raw, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      fail("its JSON does not parse");
      return false;
    }
    if (type == BlockType::kHeader) {
      if (blocks_ != 0) {
        fail("a second header block");
        return false;
      }
      header_ = std::move(parsed);
    } else {
      closing_ = std::move(parsed);
    }
  } else if (type == BlockType::kData) {
    if (blocks_ == 0) {
      fail("data before the header");
      return false;
    }
    std::size_t at = 0;
    std::uint32_t count = 0;
    const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
    while (at < raw.size()) {
      if (raw.size() - at < kEntryHeaderBytes) {
        fail("an entry header is cut short");
        return false;
      }
      RecordEntry entry;
      entry.kind = static_cast<EntryKind>(bytes[at]);
      const std::uint32_t size = get_u32(bytes + at + 4);
      entry.wall_ns = static_cast<std::int64_t>(static_cast<std::uint64_t>(get_u32(bytes + at + 8)) |
                                                (static_cast<std::uint64_t>(get_u32(bytes + at + 12)) << 32U));
      if (raw.size() - at - kEntryHeaderBytes < size) {
        fail("an entry is cut short");
        return false;
      }
      entry.data = raw.substr(at + kEntryHeaderBytes, size);
      at += kEntryHeaderBytes + size;
      pending_.push_back(std::move(entry));
      ++count;
    }
    if (count != entries) {
      fail("holds " + std::to_string(count) + " entries, its header says " + std::to_string(entries));
      return false;
    }
    entries_ += count;
  } else {
    fail("unknown block type " + std::to_string(head[4]));
    return false;
  }
  offset_ += kBlockHeaderBytes + compressed;
  previous_ = hash;
  ++blocks_;
  return true;
}

VerifyReport verify_record(const std::filesystem::path& path) {
  VerifyReport report;
  RecordReader reader(path);
  while (reader.next()) {
  }
  report.blocks = reader.blocks_read();
  report.entries = reader.entries_read();
  report.last_hash = reader.last_hash();
  if (!reader.error().empty() && !reader.closed()) {
    report.problem = reader.error();
    return report;
  }
  const auto& closing = *reader.closing();
  const auto blocks = closing.value("blocks", 0U);
  const auto entries = closing.value("entries", std::uint64_t{0});
  if (blocks != report.blocks || entries != report.entries) {
    report.problem = "the closing block counts " + std::to_string(blocks) + " blocks and " + std::to_string(entries) +
                     " entries, the file holds " + std::to_string(report.blocks) + " and " +
                     std::to_string(report.entries);
    return report;
  }
  // Anything after the closing block was added later.
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > reader.offset()) {
    report.problem = std::to_string(size - reader.offset()) + " bytes after the closing block (byte " +
                     std::to_string(reader.offset()) + "): data was added";
    return report;
  }
  report.whole = true;
  return report;
}

}  // namespace privsentry
