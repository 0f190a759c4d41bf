#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace privsentry::e2e {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (argv[0] is looked up in PATH).
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});

// A child process whose stdout is read line by line and stderr collected.
class Subprocess {
 public:
  explicit Subprocess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Waits until a stdout line satisfies match, checking lines from `from` on.
  // Returns the line's index, or nullopt on timeout or exit.
  std::optional<std::size_t> wait_for_line(const std::function<bool(const std::string&)>& match,
                                           std::chrono::milliseconds timeout, std::size_t from = 0);
  [[nodiscard]] std::vector<std::string> lines() const;
  [[nodiscard]] std::string err() const;
  void signal(int signo) const;
  // Waits for exit; returns the exit code (128+signal if killed), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);

 private:
  void read_stdout(int fd);
  void read_stderr(int fd);

  pid_t pid_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::string err_;
  bool stdout_closed_ = false;
  std::thread out_thread_;
  std::thread err_thread_;
  std::optional<int> exit_code_;
};

}  // namespace privsentry::e2e
