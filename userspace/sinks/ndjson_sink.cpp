#include "sinks/ndjson_sink.hpp"

#include <cerrno>
#include <stdexcept>

#include "util/file.hpp"

namespace privsentry {

NdjsonSink::NdjsonSink(std::FILE* stream, std::string name, NativeJsonEncoder encoder)
    : stream_(stream), name_(std::move(name)), encoder_(std::move(encoder)) {}

void NdjsonSink::write(const OutputRecord& record) {
  std::string line = encoder_.encode_line(record);
  line.push_back('\n');
  if (std::fwrite(line.data(), 1, line.size(), stream_) != line.size() || std::fflush(stream_) != 0) {
    throw std::runtime_error("writing to " + name_ + " failed: " + errno_text(errno));
  }
}

void NdjsonSink::flush() {
  if (std::fflush(stream_) != 0) {
    throw std::runtime_error("flushing " + name_ + " failed: " + errno_text(errno));
  }
}

}  // namespace privsentry
