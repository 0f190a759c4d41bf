#include "enrich/device_program_evaluator.hpp"

#include <array>
#include <cstdio>
#include <cstring>

namespace privsentry {
namespace {

// Verified programs have no loops, so this bounds only a malformed one.
constexpr std::size_t kMaxSteps = 1U << 16U;

std::string where(std::size_t pc, const bpf_insn& insn) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "instruction %zu (code 0x%02x)", pc, static_cast<unsigned>(insn.code));
  return buf;
}

std::uint64_t alu(std::uint8_t op, std::uint64_t dst, std::uint64_t src, bool wide, bool& known) {
  const unsigned width = wide ? 64U : 32U;
  const std::uint64_t mask = wide ? ~0ULL : 0xffffffffULL;
  dst &= mask;
  src &= mask;
  std::uint64_t out = 0;
  switch (op) {
    case BPF_ADD:
      out = dst + src;
      break;
    case BPF_SUB:
      out = dst - src;
      break;
    case BPF_MUL:
      out = dst * src;
      break;
    case BPF_OR:
      out = dst | src;
      break;
    case BPF_AND:
      out = dst & src;
      break;
    case BPF_XOR:
      out = dst ^ src;
      break;
    case BPF_LSH:
      out = dst << (src & (width - 1));
      break;
    case BPF_RSH:
      out = dst >> (src & (width - 1));
      break;
    case BPF_ARSH:
      out = wide
                ? static_cast<std::uint64_t>(static_cast<std::int64_t>(dst) >> (src & 63U))
                : static_cast<std::uint64_t>(static_cast<std::uint32_t>(static_cast<std::int32_t>(dst) >> (src & 31U)));
      break;
    case BPF_NEG:
      out = ~dst + 1;
      break;
    case BPF_MOV:
      out = src;
      break;
    default:
      known = false;
      return 0;
  }
  return out & mask;
}

bool jump_taken(std::uint8_t op, std::uint64_t dst, std::uint64_t src, bool wide, bool& known) {
  if (!wide) {
    dst &= 0xffffffffULL;
    src &= 0xffffffffULL;
  }
  const auto sdst = wide ? static_cast<std::int64_t>(dst) : static_cast<std::int64_t>(static_cast<std::int32_t>(dst));
  const auto ssrc = wide ? static_cast<std::int64_t>(src) : static_cast<std::int64_t>(static_cast<std::int32_t>(src));
  switch (op) {
    case BPF_JEQ:
      return dst == src;
    case BPF_JNE:
      return dst != src;
    case BPF_JGT:
      return dst > src;
    case BPF_JGE:
      return dst >= src;
    case BPF_JLT:
      return dst < src;
    case BPF_JLE:
      return dst <= src;
    case BPF_JSET:
      return (dst & src) != 0;
    case BPF_JSGT:
      return sdst > ssrc;
    case BPF_JSGE:
      return sdst >= ssrc;
    case BPF_JSLT:
      return sdst < ssrc;
    case BPF_JSLE:
      return sdst <= ssrc;
    default:
      known = false;
      return false;
  }
}

}  // namespace

Expected<bool> run_device_program(std::span<const bpf_insn> program, const bpf_cgroup_dev_ctx& access) {
  std::array<std::uint64_t, 11> reg{};
  // Which registers hold the context pointer: the only memory it may read.
  std::array<bool, 11> is_ctx{};
  is_ctx[1] = true;
  std::size_t pc = 0;
  for (std::size_t step = 0; step < kMaxSteps; ++step) {
    if (pc >= program.size()) {
      return Error{"runs past its last instruction"};
    }
    const bpf_insn& insn = program[pc];
    const std::uint8_t cls = BPF_CLASS(insn.code);
    const unsigned dst = insn.dst_reg;
    const unsigned src = insn.src_reg;
    if (dst > 10 || src > 10) {
      return Error{where(pc, insn) + ": bad register"};
    }
    switch (cls) {
      case BPF_ALU:
      case BPF_ALU64: {
        if (dst == 10) {
          return Error{where(pc, insn) + ": writes the frame pointer"};
        }
        const bool from_reg = BPF_SRC(insn.code) == BPF_X;
        // A 64-bit copy of the context pointer is still the context pointer.
        if (from_reg && is_ctx[src] && cls == BPF_ALU64 && BPF_OP(insn.code) == BPF_MOV) {
          is_ctx[dst] = true;
          ++pc;
          break;
        }
        if (from_reg && is_ctx[src]) {
          return Error{where(pc, insn) + ": arithmetic on the context pointer"};
        }
        if (BPF_OP(insn.code) != BPF_MOV && is_ctx[dst]) {
          return Error{where(pc, insn) + ": arithmetic on the context pointer"};
        }
        const std::uint64_t operand =
            from_reg ? reg[src] : static_cast<std::uint64_t>(static_cast<std::int64_t>(insn.imm));
        bool known = true;
        reg[dst] = alu(BPF_OP(insn.code), reg[dst], operand, cls == BPF_ALU64, known);
        if (!known) {
          return Error{where(pc, insn) + ": ALU operation outside the subset"};
        }
        is_ctx[dst] = false;
        ++pc;
        break;
      }
      case BPF_LDX: {
        if (BPF_MODE(insn.code) != BPF_MEM || !is_ctx[src]) {
          return Error{where(pc, insn) + ": a load from other memory than the context"};
        }
        const std::uint8_t size = BPF_SIZE(insn.code);
        const unsigned bytes = size == BPF_W ? 4U : size == BPF_H ? 2U : size == BPF_B ? 1U : 8U;
        if (insn.off < 0 || static_cast<unsigned>(insn.off) + bytes > sizeof(bpf_cgroup_dev_ctx) || (bytes == 8U)) {
          return Error{where(pc, insn) + ": a context load out of bounds"};
        }
        std::array<unsigned char, sizeof(bpf_cgroup_dev_ctx)> raw{};
        static_assert(sizeof(raw) == 12);
        std::memcpy(raw.data(), &access, sizeof(access));
        std::uint64_t value = 0;
        std::memcpy(&value, raw.data() + insn.off, bytes);  // little-endian, as the kernel's
        reg[dst] = value;
        is_ctx[dst] = false;
        ++pc;
        break;
      }
      case BPF_LD: {
        // lddw: a 64-bit immediate over two slots; no map references.
        if (insn.code != (BPF_LD | BPF_IMM | BPF_DW) || src != 0 || pc + 1 >= program.size()) {
          return Error{where(pc, insn) + ": a load outside the subset"};
        }
        reg[dst] = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(program[pc + 1].imm)) << 32U) |
                   static_cast<std::uint32_t>(insn.imm);
        is_ctx[dst] = false;
        pc += 2;
        break;
      }
      case BPF_JMP:
      case BPF_JMP32: {
        const std::uint8_t op = BPF_OP(insn.code);
        if (op == BPF_EXIT && cls == BPF_JMP) {
          if (is_ctx[0]) {
            return Error{where(pc, insn) + ": returns a pointer"};
          }
          return reg[0] != 0;
        }
        if (op == BPF_CALL) {
          return Error{where(pc, insn) + ": calls a helper or function"};
        }
        bool taken = true;
        if (op != BPF_JA) {
          const bool from_reg = BPF_SRC(insn.code) == BPF_X;
          if (is_ctx[dst] || (from_reg && is_ctx[src])) {
            return Error{where(pc, insn) + ": compares the context pointer"};
          }
          bool known = true;
          taken = jump_taken(op, reg[dst],
                             from_reg ? reg[src] : static_cast<std::uint64_t>(static_cast<std::int64_t>(insn.imm)),
                             cls == BPF_JMP, known);
          if (!known) {
            return Error{where(pc, insn) + ": jump outside the subset"};
          }
        } else if (cls != BPF_JMP) {
          return Error{where(pc, insn) + ": jump outside the subset"};
        }
        const auto target = static_cast<std::int64_t>(pc) + 1 + (taken ? insn.off : 0);
        if (target < 0 || static_cast<std::size_t>(target) >= program.size()) {
          return Error{where(pc, insn) + ": jumps outside the program"};
        }
        pc = static_cast<std::size_t>(target);
        break;
      }
      default:
        return Error{where(pc, insn) + ": a store, or a class outside the subset"};
    }
  }
  return Error{"more than 65536 steps"};
}

const std::vector<DeviceAccessProbe>& device_access_probes() {
  using C = DeviceAccessProbe::Class;
  static const std::vector<DeviceAccessProbe> probes = [] {
    std::vector<DeviceAccessProbe> out;
    const auto both = [&out](const std::string& name, std::uint32_t type, std::uint32_t major, std::uint32_t minor,
                             C kind) {
      out.push_back({name + " read", type, BPF_DEVCG_ACC_READ, major, minor, kind});
      out.push_back({name + " write", type, BPF_DEVCG_ACC_WRITE, major, minor, kind});
    };
    // Numbers no device list grants by name: only a wildcard allows them.
    both("char 511:511", BPF_DEVCG_DEV_CHAR, 511, 511, C::kWildcard);
    both("block 511:511", BPF_DEVCG_DEV_BLOCK, 511, 511, C::kWildcard);
    out.push_back({"char 511:511 mknod", BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_MKNOD, 511, 511, C::kWildcard});
    out.push_back({"block 511:511 mknod", BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_ACC_MKNOD, 511, 511, C::kWildcard});
    both("block 8:0 (sda)", BPF_DEVCG_DEV_BLOCK, 8, 0, C::kHostBlock);
    both("block 259:0 (nvme0n1)", BPF_DEVCG_DEV_BLOCK, 259, 0, C::kHostBlock);
    both("block 253:0 (dm-0)", BPF_DEVCG_DEV_BLOCK, 253, 0, C::kHostBlock);
    both("block 254:0 (vda)", BPF_DEVCG_DEV_BLOCK, 254, 0, C::kHostBlock);
    // Docker's default rules allow mknod of any device, which without read
    // and write gives nothing: reported, not judged.
    out.push_back({"block 8:0 (sda) mknod", BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_ACC_MKNOD, 8, 0, C::kMknod});
    both("/dev/mem", BPF_DEVCG_DEV_CHAR, 1, 1, C::kSensitive);
    both("/dev/kmem", BPF_DEVCG_DEV_CHAR, 1, 2, C::kSensitive);
    both("/dev/port", BPF_DEVCG_DEV_CHAR, 1, 4, C::kSensitive);
    both("/dev/kvm", BPF_DEVCG_DEV_CHAR, 10, 232, C::kSensitive);
    both("/dev/fuse", BPF_DEVCG_DEV_CHAR, 10, 229, C::kSensitive);
    return out;
  }();
  return probes;
}

DeviceAccessVerdict classify_device_access(const std::function<Expected<bool>(const DeviceAccessProbe&)>& allows) {
  DeviceAccessVerdict verdict;
  bool wildcard = true;
  bool host_block = false;
  bool sensitive = false;
  for (const auto& probe : device_access_probes()) {
    auto allowed = allows(probe);
    if (!allowed) {
      verdict.state = DeviceVerdict::State::kUnknown;
      verdict.reason = allowed.error().message;
      verdict.allowed.clear();
      return verdict;
    }
    if (*allowed) {
      verdict.allowed.push_back(probe.name);
    }
    switch (probe.kind) {
      case DeviceAccessProbe::Class::kWildcard:
        wildcard = wildcard && *allowed;
        break;
      case DeviceAccessProbe::Class::kHostBlock:
        host_block = host_block || *allowed;
        break;
      case DeviceAccessProbe::Class::kSensitive:
        sensitive = sensitive || *allowed;
        break;
      case DeviceAccessProbe::Class::kMknod:
        break;
    }
  }
  verdict.state = wildcard     ? DeviceVerdict::State::kUnrestricted
                  : host_block ? DeviceVerdict::State::kAllowsHostBlockDevices
                  : sensitive  ? DeviceVerdict::State::kAllowsSensitiveDevices
                               : DeviceVerdict::State::kRestricted;
  return verdict;
}

Expected<bool> device_programs_allow(const std::vector<std::vector<bpf_insn>>& programs,
                                     const DeviceAccessProbe& probe) {
  const bpf_cgroup_dev_ctx ctx{(probe.access << 16U) | probe.type, probe.major, probe.minor};
  for (std::size_t i = 0; i < programs.size(); ++i) {
    auto answer = run_device_program(programs[i], ctx);
    if (!answer) {
      return Error{"program " + std::to_string(i + 1) + " of " + std::to_string(programs.size()) + ": " +
                   answer.error().message};
    }
    if (!*answer) {
      return false;
    }
  }
  return true;
}

DeviceAccessVerdict evaluate_device_programs(const std::vector<std::vector<bpf_insn>>& programs) {
  return classify_device_access([&](const DeviceAccessProbe& probe) { return device_programs_allow(programs, probe); });
}

}  // namespace privsentry
