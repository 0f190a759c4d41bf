#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "util/file.hpp"

namespace privsentry {

// A queue from worker threads to the event loop, which waits on fd() with
// epoll alongside the ring buffer.
template <typename T>
class NotifyingQueue {
 public:
  NotifyingQueue() : event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!event_fd_.valid()) {
      throw std::runtime_error("eventfd: " + errno_text(errno));
    }
  }

  void push(T item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    const std::uint64_t one = 1;
    // The counter only wakes the loop; EAGAIN (counter at max) still wakes it.
    [[maybe_unused]] const auto written = ::write(event_fd_.get(), &one, sizeof(one));
  }

  std::vector<T> drain() {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto got = ::read(event_fd_.get(), &count, sizeof(count));
    std::deque<T> taken;
    {
      std::lock_guard lock(mutex_);
      taken.swap(items_);
    }
    return std::vector<T>(std::make_move_iterator(taken.begin()), std::make_move_iterator(taken.end()));
  }

  [[nodiscard]] int fd() const { return event_fd_.get(); }

 private:
  UniqueFd event_fd_;
  std::mutex mutex_;
  std::deque<T> items_;
};

}  // namespace privsentry
