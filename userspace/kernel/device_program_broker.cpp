#include "kernel/device_program_broker.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "kernel/device_program_wire.hpp"
#include "kernel/kernel_device_program_source.hpp"

namespace privsentry {
namespace {

constexpr int kHelperSocket = 3;
constexpr std::uint32_t kMaxFrame = 64U << 20U;
constexpr auto kAnswerTimeout = std::chrono::seconds(5);

int send_frame(int fd, const std::string& payload) {
  const auto size = static_cast<std::uint32_t>(payload.size());
  if (const int error = write_all(fd, &size, sizeof(size)); error != 0) {
    return error;
  }
  return write_all(fd, payload.data(), payload.size());
}

// Reads exactly `size` bytes before `deadline`.
std::optional<Error> read_exactly(int fd, char* out, std::size_t size, std::chrono::steady_clock::time_point deadline) {
  std::size_t done = 0;
  while (done < size) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Error{"the device helper did not answer within 5 s"};
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready < 0) {
      return Error{"poll on the device helper: " + errno_text(errno)};
    }
    if (ready == 0) {
      continue;
    }
    const ssize_t n = ::read(fd, out + done, size - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Error{"reading from the device helper: " + errno_text(errno)};
    }
    if (n == 0) {
      return Error{"the device helper has exited"};
    }
    done += static_cast<std::size_t>(n);
  }
  return std::nullopt;
}

Expected<std::string> read_frame(int fd) {
  const auto deadline = std::chrono::steady_clock::now() + kAnswerTimeout;
  std::uint32_t size = 0;
  if (auto error = read_exactly(fd, reinterpret_cast<char*>(&size), sizeof(size), deadline)) {
    return *error;
  }
  if (size > kMaxFrame) {
    return Error{"the device helper sent a frame of " + std::to_string(size) + " bytes"};
  }
  std::string payload(size, '\0');
  if (auto error = read_exactly(fd, payload.data(), size, deadline)) {
    return *error;
  }
  return payload;
}

// A request's shape: one byte, with room for one descriptor beside it.
struct FdMessage {
  FdMessage() {
    header.msg_iov = &io;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof(control);
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;

  char byte = 'Q';
  iovec io{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr header{};
};

// Receives one request: a byte and, with it, a cgroup directory descriptor.
// Returns -1 with `eof` set when the sensor has gone.
int receive_request(int sock, bool& eof) {
  FdMessage message;
  ssize_t n = 0;
  do {
    n = ::recvmsg(sock, &message.header, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  eof = n <= 0;
  if (n <= 0) {
    return -1;
  }
  int fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message.header); c != nullptr; c = CMSG_NXTHDR(&message.header, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
    }
  }
  return fd;
}

[[noreturn]] void serve(int sock, pid_t parent, const std::function<std::optional<Error>()>& confine) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || ::getppid() != parent) {
    ::_exit(1);
  }
  (void)::prctl(PR_SET_NAME, "privsentry-dev", 0, 0, 0);  // a name is only a convenience for ps
  // Nothing the sensor had open (maps, programs, sockets, logs) stays here.
  if (sock != kHelperSocket && ::dup2(sock, kHelperSocket) != kHelperSocket) {
    ::_exit(1);
  }
  if (::close_range(kHelperSocket + 1, ~0U, 0) != 0) {
    ::_exit(1);
  }
  const auto confined = confine();
  if (send_frame(kHelperSocket, encode_device_programs(confined ? DeviceProgramAnswer(*confined)
                                                                : DeviceProgramAnswer(std::vector<DeviceProgram>{}))) !=
          0 ||
      confined) {
    ::_exit(1);
  }
  KernelDeviceProgramSource kernel;
  for (;;) {
    bool eof = false;
    const UniqueFd cgroup(receive_request(kHelperSocket, eof));
    if (eof) {
      ::_exit(0);
    }
    const auto answer = cgroup.valid() ? kernel.effective_programs(cgroup.get())
                                       : DeviceProgramAnswer(Error{"a request without a cgroup"});
    if (send_frame(kHelperSocket, encode_device_programs(answer)) != 0) {
      ::_exit(1);
    }
  }
}

}  // namespace

Expected<std::unique_ptr<DeviceProgramBroker>> DeviceProgramBroker::start(
    const std::function<std::optional<Error>()>& confine) {
  int pair[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return Error{"socketpair for the device helper: " + errno_text(errno)};
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) {
    return Error{"fork of the device helper: " + errno_text(errno)};
  }
  if (child == 0) {
    serve(theirs.release(), parent, confine);
  }
  theirs = UniqueFd();
  std::unique_ptr<DeviceProgramBroker> broker(new DeviceProgramBroker(std::move(ours), child));
  auto ready = read_frame(broker->socket_.get());
  if (!ready) {
    return Error{"the device helper did not start: " + ready.error().message};
  }
  auto handshake = decode_device_programs(*ready);
  if (!handshake) {
    return Error{"the device helper did not start: " + handshake.error().message};
  }
  if (!*handshake) {
    return Error{"the device helper did not start: " + handshake->error().message};
  }
  return broker;
}

DeviceProgramBroker::~DeviceProgramBroker() {
  socket_ = UniqueFd();
  // The helper exits when it reads the end of its socket; a helper stuck in
  // the kernel is not waited for.
  (void)::kill(child_, SIGKILL);
  int status = 0;
  while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
  }
}

void DeviceProgramBroker::fail(std::string reason) {
  broken_ = std::move(reason);
  (void)::kill(child_, SIGKILL);
}

Expected<std::vector<DeviceProgram>> DeviceProgramBroker::effective_programs(int cgroup_dir_fd) {
  const std::lock_guard lock(mutex_);
  if (!broken_.empty()) {
    return Error{broken_};
  }
  FdMessage message;
  cmsghdr* c = CMSG_FIRSTHDR(&message.header);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &cgroup_dir_fd, sizeof(int));
  ssize_t sent = 0;
  do {
    sent = ::sendmsg(socket_.get(), &message.header, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent != 1) {
    fail("the device helper is gone: " + errno_text(errno));
    return Error{broken_};
  }
  auto frame = read_frame(socket_.get());
  if (!frame) {
    fail(frame.error().message);
    return Error{broken_};
  }
  auto answer = decode_device_programs(*frame);
  if (!answer) {
    fail(answer.error().message);
    return Error{broken_};
  }
  return std::move(*answer);
}

}  // namespace privsentry
