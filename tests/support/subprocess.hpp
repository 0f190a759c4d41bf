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

namespace privsentry::support {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (argv[0] is looked up in PATH).
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});

// Where a Subprocess's output goes.
enum class Output {
  kCollect,  // read: stdout line by line, stderr whole
  kDiscard,  // /dev/null (a process whose output would only cost memory)
};

// A child process whose stdout is read line by line (each line with the
// time it arrived) and stderr collected.
class Subprocess {
 public:
  explicit Subprocess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
                      Output stdout_mode = Output::kCollect, Output stderr_mode = Output::kCollect);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Waits until a stdout line satisfies match, checking lines from `from` on.
  // Returns the line's index, or nullopt on timeout or exit.
  std::optional<std::size_t> wait_for_line(const std::function<bool(const std::string&)>& match,
                                           std::chrono::milliseconds timeout, std::size_t from = 0);
  [[nodiscard]] std::vector<std::string> lines() const;
  // When line i of stdout arrived.
  [[nodiscard]] std::chrono::steady_clock::time_point arrival(std::size_t i) const;
  [[nodiscard]] pid_t pid() const { return pid_; }
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
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
  std::string err_;
  bool stdout_closed_ = false;
  std::thread out_thread_;
  std::thread err_thread_;
  std::optional<int> exit_code_;
};

}  // namespace privsentry::support
