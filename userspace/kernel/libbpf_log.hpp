#pragma once

#include <string>

namespace privsentry {

// Routes libbpf's messages to spdlog (debug level: libbpf is verbose about
// failures the loader expects while probing tiers). Call once from main.
void install_libbpf_logger();

// While alive, libbpf's warnings on this thread are also collected, so a
// failed load can say why in one line.
class LibbpfLogCapture {
 public:
  LibbpfLogCapture();
  ~LibbpfLogCapture();
  LibbpfLogCapture(const LibbpfLogCapture&) = delete;
  LibbpfLogCapture& operator=(const LibbpfLogCapture&) = delete;

  // The most telling warning lines, joined.
  [[nodiscard]] std::string summary() const;

 private:
  std::string text_;
  std::string* previous_;
};

}  // namespace privsentry
