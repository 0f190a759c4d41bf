#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "output/transport.hpp"
#include "sinks/record_format.hpp"
#include "util/file.hpp"

namespace privsentry {

// NDJSON (or CEF lines) appended to a file, owner-only, rotated by size:
// path -> path.1 -> ... -> path.<keep>, the oldest removed. SIGHUP reopens
// the path, for an external logrotate.
class FileTransport final : public Transport {
 public:
  FileTransport(std::filesystem::path path, std::uint64_t max_bytes, unsigned keep, RecordFormatter formatter);
  DeliveryResult deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) override;
  void reopen() override;

 private:
  bool open_file(std::string& error);
  bool rotate(std::string& error);

  std::filesystem::path path_;
  std::uint64_t max_bytes_;
  unsigned keep_;
  RecordFormatter formatter_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
};

}  // namespace privsentry
