#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace privsentry {

// privsentry record files (run --record, read by replay): everything the
// sensor saw and decided, in blocks.
//
// Block, all integers little-endian:
//   0  "PSRB"
//   4  u8  type: 1 header, 2 data, 3 closing
//   5  u8  format version (kRecordFormatVersion)
//   6  u16 reserved, 0
//   8  u32 sequence number, from 0
//   12 u32 payload length (zlib-compressed)
//   16 u32 payload length uncompressed
//   20 u32 entries in the payload (data blocks; 0 otherwise)
//   24 32 bytes: SHA-256 of the previous block (zeros for the header)
//   56 32 bytes: SHA-256 of bytes 0..55 of this block and its payload
//   88 payload
// The header's payload is a JSON object (host, kernel, sensor version, tier,
// host facts, start time); the closing block's holds the totals. A data
// block's payload is entries:
//   u8 kind, u8 reserved, u16 reserved, u32 length, i64 wall time (ns since
//   the epoch), then length bytes.
inline constexpr std::string_view kRecordMagic = "PSRB";
inline constexpr std::uint8_t kRecordFormatVersion = 1;
inline constexpr std::size_t kBlockHeaderBytes = 88;
inline constexpr std::size_t kEntryHeaderBytes = 16;
inline constexpr std::size_t kMaxBlockBytes = 16U << 20U;

enum class BlockType : std::uint8_t { kHeader = 1, kData = 2, kClosing = 3 };

enum class EntryKind : std::uint8_t {
  kKernel = 1,  // a ring buffer record, the kernel's bytes
  kDocker = 2,  // a Docker engine answer (JSON)
  kOutput = 3,  // a record the sensor emitted (native JSON)
  kScan = 4,    // a process found by the start-up scan (JSON)
  kDevice = 5,  // a device cgroup verdict the sensor read (JSON)
  kTick = 6,    // the event loop's periodic tick
  kBundle = 7,  // an OCI bundle lookup and its answer (JSON)
};

using Sha256 = std::array<unsigned char, 32>;

}  // namespace privsentry
