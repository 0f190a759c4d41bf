#include "kernel/device_program_wire.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernel/kernel_device_program_source.hpp"

namespace privsentry {
namespace {

constexpr std::uint32_t kMaxErrorBytes = 4096;

void put_u32(std::string& out, std::uint32_t value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

void put_text(std::string& out, std::string_view text) {
  const auto size = static_cast<std::uint32_t>(std::min<std::size_t>(text.size(), kMaxErrorBytes));
  put_u32(out, size);
  out.append(text.substr(0, size));
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool u8(std::uint8_t& value) {
    if (bytes_.empty()) {
      return false;
    }
    value = static_cast<std::uint8_t>(bytes_.front());
    bytes_.remove_prefix(1);
    return true;
  }
  bool u32(std::uint32_t& value) {
    if (bytes_.size() < sizeof(value)) {
      return false;
    }
    std::memcpy(&value, bytes_.data(), sizeof(value));
    bytes_.remove_prefix(sizeof(value));
    return true;
  }
  bool text(std::string& value) {
    std::uint32_t size = 0;
    if (!u32(size) || size > kMaxErrorBytes || bytes_.size() < size) {
      return false;
    }
    value.assign(bytes_.substr(0, size));
    bytes_.remove_prefix(size);
    return true;
  }
  bool insns(std::vector<bpf_insn>& value, std::uint32_t count) {
    if (bytes_.size() / sizeof(bpf_insn) < count) {
      return false;
    }
    value.resize(count);
    if (count == 0) {
      return true;  // an empty vector's data() may be null, which memcpy may not take
    }
    std::memcpy(value.data(), bytes_.data(), count * sizeof(bpf_insn));
    bytes_.remove_prefix(count * sizeof(bpf_insn));
    return true;
  }
  [[nodiscard]] bool done() const { return bytes_.empty(); }

 private:
  std::string_view bytes_;
};

}  // namespace

std::string encode_device_programs(const DeviceProgramAnswer& answer) {
  std::string out;
  if (!answer) {
    out.push_back('\0');
    put_text(out, answer.error().message);
    return out;
  }
  out.push_back('\1');
  put_u32(out, static_cast<std::uint32_t>(answer->size()));
  for (const auto& program : *answer) {
    put_u32(out, program.id);
    put_text(out, program.error);
    put_u32(out, static_cast<std::uint32_t>(program.insns.size()));
    if (!program.insns.empty()) {
      out.append(reinterpret_cast<const char*>(program.insns.data()), program.insns.size() * sizeof(bpf_insn));
    }
  }
  return out;
}

Expected<DeviceProgramAnswer> decode_device_programs(std::string_view bytes) {
  Reader reader(bytes);
  const Error malformed{"the device helper's answer is malformed"};
  std::uint8_t ok = 0;
  if (!reader.u8(ok) || ok > 1) {
    return malformed;
  }
  if (ok == 0) {
    std::string message;
    if (!reader.text(message) || !reader.done()) {
      return malformed;
    }
    return DeviceProgramAnswer(Error{std::move(message)});
  }
  std::uint32_t count = 0;
  if (!reader.u32(count) || count > KernelDeviceProgramSource::kMaxPrograms) {
    return malformed;
  }
  std::vector<DeviceProgram> programs(count);
  for (auto& program : programs) {
    std::uint32_t insn_count = 0;
    if (!reader.u32(program.id) || !reader.text(program.error) || !reader.u32(insn_count) ||
        insn_count > KernelDeviceProgramSource::kMaxInstructions || !reader.insns(program.insns, insn_count)) {
      return malformed;
    }
  }
  if (!reader.done()) {
    return malformed;
  }
  return DeviceProgramAnswer(std::move(programs));
}

}  // namespace privsentry
