#include "kernel/ringbuf_source.hpp"

#include <bpf/libbpf.h>

#include <cerrno>
#include <stdexcept>

#include "util/file.hpp"

namespace privsentry {

RingbufSource::RingbufSource(int map_fd) : ring_(ring_buffer__new(map_fd, &RingbufSource::on_record, this, nullptr)) {
  if (ring_ == nullptr) {
    throw std::runtime_error("opening the BPF ring buffer: " + errno_text(errno));
  }
}

RingbufSource::~RingbufSource() { ring_buffer__free(ring_); }

int RingbufSource::on_record(void* context, void* data, std::size_t size) {
  auto* self = static_cast<RingbufSource*>(context);
  (*self->handler_)(std::span<const std::byte>(static_cast<const std::byte*>(data), size));
  ++self->handled_;
  return 0;
}

int RingbufSource::poll(std::chrono::milliseconds timeout, const RecordHandler& handler) {
  handler_ = &handler;
  handled_ = 0;
  const int err = ring_buffer__poll(ring_, static_cast<int>(timeout.count()));
  handler_ = nullptr;
  if (err < 0 && err != -EINTR) {
    throw std::runtime_error("polling the BPF ring buffer: " + errno_text(-err));
  }
  return handled_;
}

int RingbufSource::consume(const RecordHandler& handler) {
  handler_ = &handler;
  handled_ = 0;
  const int err = ring_buffer__consume(ring_);
  handler_ = nullptr;
  if (err < 0 && err != -EINTR) {
    throw std::runtime_error("reading the BPF ring buffer: " + errno_text(-err));
  }
  return handled_;
}

int RingbufSource::fd() const { return ring_buffer__epoll_fd(ring_); }

}  // namespace privsentry
