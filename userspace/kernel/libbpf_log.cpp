#include "kernel/libbpf_log.hpp"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <vector>

#include "util/text.hpp"

namespace privsentry {
namespace {

// libbpf takes one process-wide C callback; the capture target must be reached
// from it, so it lives here, per thread.
thread_local std::string* capture_target = nullptr;

// libbpf passes its own format strings, checked as printf formats here.
__attribute__((format(printf, 2, 0))) int forward(enum libbpf_print_level level, const char* format, va_list args) {
  // Verifier logs run to many kilobytes; size the buffer to the message.
  va_list copy;
  va_copy(copy, args);
  const int needed = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (needed <= 0) {
    return 0;
  }
  std::string line(static_cast<std::size_t>(needed) + 1, '\0');
  std::vsnprintf(line.data(), line.size(), format, args);
  line.resize(static_cast<std::size_t>(needed));
  while (!line.empty() && line.back() == '\n') {
    line.pop_back();
  }
  if (level == LIBBPF_WARN && capture_target != nullptr) {
    *capture_target += line;
    *capture_target += '\n';
  }
  spdlog::debug("libbpf: {}", escape_for_terminal(line));
  return 0;
}

}  // namespace

void install_libbpf_logger() { libbpf_set_print(forward); }

LibbpfLogCapture::LibbpfLogCapture() : previous_(capture_target) { capture_target = &text_; }

LibbpfLogCapture::~LibbpfLogCapture() { capture_target = previous_; }

std::string LibbpfLogCapture::summary() const {
  // libbpf's last warnings name the cause ("failed to find kernel BTF type
  // ID", "-EPERM"); the verifier log before them can be hundreds of lines.
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text_.size()) {
    const auto end = text_.find('\n', start);
    lines.push_back(text_.substr(start, end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  std::string out;
  const std::size_t first = lines.size() > 3 ? lines.size() - 3 : 0;
  for (std::size_t i = first; i < lines.size(); ++i) {
    if (lines[i].find("-- BEGIN PROG LOAD LOG --") != std::string::npos ||
        lines[i].find("-- END PROG LOAD LOG --") != std::string::npos) {
      continue;
    }
    if (!out.empty()) {
      out += "; ";
    }
    out += escape_for_terminal(lines[i], 240);
  }
  return out;
}

}  // namespace privsentry
