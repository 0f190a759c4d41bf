#pragma once

#include <exception>

#include "privsentry/event_source.hpp"

struct ring_buffer;

namespace privsentry {

// Records from the BPF ring buffer.
class RingbufSource final : public EventSource {
 public:
  explicit RingbufSource(int map_fd);
  ~RingbufSource() override;
  RingbufSource(const RingbufSource&) = delete;
  RingbufSource& operator=(const RingbufSource&) = delete;

  int poll(std::chrono::milliseconds timeout, const RecordHandler& handler) override;
  // Hands on what is already there, without waiting.
  int consume(const RecordHandler& handler);
  [[nodiscard]] int fd() const override;

 private:
  static int on_record(void* context, void* data, std::size_t size);

  int finish(int err, const char* what);

  ring_buffer* ring_ = nullptr;
  const RecordHandler* handler_ = nullptr;
  int handled_ = 0;
  // An exception from the handler, held while libbpf's C frames unwind.
  std::exception_ptr failure_;
};

}  // namespace privsentry
