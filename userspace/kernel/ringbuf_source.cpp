#include "kernel/ringbuf_source.hpp"

#include <bpf/libbpf.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <utility>

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
  // An exception must not unwind through libbpf's C code: hold it, stop
  // consuming, and rethrow once libbpf has returned.
  try {
    (*self->handler_)(std::span<const std::byte>(static_cast<const std::byte*>(data), size));
  } catch (...) {
    self->failure_ = std::current_exception();
    return -ECANCELED;
  }
  ++self->handled_;
  return 0;
}

int RingbufSource::finish(int err, const char* what) {
  handler_ = nullptr;
  if (failure_) {
    std::rethrow_exception(std::exchange(failure_, nullptr));
  }
  if (err < 0 && err != -EINTR) {
    throw std::runtime_error(std::string(what) + " the BPF ring buffer: " + errno_text(-err));
  }
  return handled_;
}

int RingbufSource::poll(std::chrono::milliseconds timeout, const RecordHandler& handler) {
  handler_ = &handler;
  handled_ = 0;
  return finish(ring_buffer__poll(ring_, static_cast<int>(timeout.count())), "polling");
}

int RingbufSource::consume(const RecordHandler& handler) {
  handler_ = &handler;
  handled_ = 0;
  return finish(ring_buffer__consume(ring_), "reading");
}

int RingbufSource::fd() const { return ring_buffer__epoll_fd(ring_); }

}  // namespace privsentry
