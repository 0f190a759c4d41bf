#include "output/stream_transport.hpp"

#include <cerrno>

#include "util/file.hpp"

namespace privsentry {

StreamTransport::StreamTransport(std::FILE* stream, std::string name, RecordFormatter formatter)
    : stream_(stream), name_(std::move(name)), formatter_(std::move(formatter)) {}

DeliveryResult StreamTransport::deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) {
  DeliveryResult result;
  std::string text;
  for (const auto& record : records) {
    text += formatter_.format_line(*record);
    text.push_back('\n');
  }
  if (std::fwrite(text.data(), 1, text.size(), stream_) != text.size() || std::fflush(stream_) != 0) {
    result.error = "writing to " + name_ + " failed: " + errno_text(errno);
    result.fatal = errno == EPIPE || errno == EBADF;
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace privsentry
