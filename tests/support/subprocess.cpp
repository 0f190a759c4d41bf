#include "support/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace privsentry::support {
namespace {

struct Spawned {
  pid_t pid = -1;
  int out = -1;
  int err = -1;
};

Spawned spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
              Output stdout_mode = Output::kCollect, Output stderr_mode = Output::kCollect) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_mode == Output::kDiscard) {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  } else {
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  }
  if (stderr_mode == Output::kDiscard) {
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  } else {
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    env_strings.emplace_back(*e);
  }
  for (const auto& extra : extra_env) {
    const auto key = extra.substr(0, extra.find('=') + 1);
    std::erase_if(env_strings, [&](const std::string& s) { return s.rfind(key, 0) == 0; });
    env_strings.push_back(extra);
  }
  std::vector<char*> env;
  for (auto& s : env_strings) {
    env.push_back(s.data());
  }
  env.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);

  // The child starts with no signal blocked, whatever this thread blocks.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

  Spawned result;
  const int rc = ::posix_spawnp(&result.pid, cargv[0], &actions, &attr, cargv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::runtime_error("spawn " + argv[0] + ": " + std::strerror(rc));
  }
  result.out = out_pipe[0];
  result.err = err_pipe[0];
  return result;
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  const auto child = spawn(argv, extra_env);
  CommandResult result;
  pollfd fds[2] = {{child.out, POLLIN, 0}, {child.err, POLLIN, 0}};
  int open = 2;
  char buf[4096];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP)) != 0) {
        const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
        if (n <= 0) {
          ::close(fds[i].fd);
          fds[i].fd = -1;
          --open;
        } else {
          (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
        }
      }
    }
  }
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = decode_status(status);
  return result;
}

Subprocess::Subprocess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                       Output stdout_mode, Output stderr_mode) {
  const auto child = spawn(argv, extra_env, stdout_mode, stderr_mode);
  pid_ = child.pid;
  out_thread_ = std::thread([this, fd = child.out] { read_stdout(fd); });
  err_thread_ = std::thread([this, fd = child.err] { read_stderr(fd); });
}

Subprocess::~Subprocess() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
  if (out_thread_.joinable()) {
    out_thread_.join();
  }
  if (err_thread_.joinable()) {
    err_thread_.join();
  }
}

void Subprocess::read_stdout(int fd) {
  std::string pending;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    std::lock_guard lock(mutex_);
    while (true) {
      const auto end = pending.find('\n', start);
      if (end == std::string::npos) {
        break;
      }
      lines_.push_back(pending.substr(start, end - start));
      arrivals_.push_back(now);
      start = end + 1;
    }
    pending.erase(0, start);
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  if (!pending.empty()) {
    lines_.push_back(pending);
    arrivals_.push_back(std::chrono::steady_clock::now());
  }
  stdout_closed_ = true;
  changed_.notify_all();
}

void Subprocess::read_stderr(int fd) {
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    std::lock_guard lock(mutex_);
    err_.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
}

std::optional<std::size_t> Subprocess::wait_for_line(const std::function<bool(const std::string&)>& match,
                                                     std::chrono::milliseconds timeout, std::size_t from) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  std::size_t next = from;
  while (true) {
    for (; next < lines_.size(); ++next) {
      if (match(lines_[next])) {
        return next;
      }
    }
    if (stdout_closed_) {
      return std::nullopt;
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (; next < lines_.size(); ++next) {
        if (match(lines_[next])) {
          return next;
        }
      }
      return std::nullopt;
    }
  }
}

std::vector<std::string> Subprocess::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::chrono::steady_clock::time_point Subprocess::arrival(std::size_t i) const {
  std::lock_guard lock(mutex_);
  return arrivals_.at(i);
}

std::string Subprocess::err() const {
  std::lock_guard lock(mutex_);
  return err_;
}

void Subprocess::signal(int signo) const { ::kill(pid_, signo); }

int Subprocess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) {
    return *exit_code_;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = decode_status(status);
      return *exit_code_;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace privsentry::support
