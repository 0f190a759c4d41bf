#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "enrich/device_program_source.hpp"

namespace privsentry {

// The device helper's answer as bytes, and back. The sensor reads what a
// process it does not trust with its state wrote, so decoding checks every
// length against the buffer and the limits, and a bad answer is an error.
//
// Layout (little endian, as the host): u8 ok; if 0, u32 length and the error
// text; if 1, u32 program count, then per program u32 id, u32 error length,
// the error text, u32 instruction count and the instructions.
using DeviceProgramAnswer = Expected<std::vector<DeviceProgram>>;

std::string encode_device_programs(const DeviceProgramAnswer& answer);

// The outer error: the bytes are not an answer. The inner one: the helper's
// own error (a query the kernel refused).
Expected<DeviceProgramAnswer> decode_device_programs(std::string_view bytes);

}  // namespace privsentry
