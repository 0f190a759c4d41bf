#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace privsentry {

// A raw record file: the ring buffer's records exactly as the kernel wrote
// them, for tests and bug reports. "PSRAWv1\n", then per record a 32-bit
// little-endian length and that many bytes. (The forensic record format with
// Docker metadata, timestamps and hashes is a separate, later format.)
inline constexpr std::string_view kRawRecordMagic = "PSRAWv1\n";
inline constexpr std::size_t kMaxRawRecordBytes = 64U * 1024U;

}  // namespace privsentry
