#include "e2e/support/tmux_session.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e/support/e2e_support.hpp"

namespace privsentry::e2e {

TmuxSession::TmuxSession(const std::vector<std::string>& command, int cols, int rows) {
  static std::atomic<unsigned> counter{0};
  socket_ = "privsentry-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  target_ = "view";
  // remain-on-exit keeps the pane (and the command's exit code) after the
  // command ends; it has to be set before that can happen, so it is in the
  // server's configuration file.
  config_ = std::filesystem::temp_directory_path() / (socket_ + ".conf");
  std::ofstream(config_) << "set-option -g remain-on-exit on\n"
                            "set-option -g default-terminal screen\n"
                            "set-option -g history-limit 0\n";
  // A shell waits for the command and writes its exit code: tmux's own
  // pane_dead_status is not always filled in (tmux 3.3a can miss the
  // SIGCHLD of a command whose pane closed first).
  status_ = std::filesystem::temp_directory_path() / (socket_ + ".status");
  std::filesystem::remove(status_);
  std::vector<std::string> argv{"tmux",
                                "-L",
                                socket_,
                                "-f",
                                config_.string(),
                                "new-session",
                                "-d",
                                "-s",
                                target_,
                                "-x",
                                std::to_string(cols),
                                "-y",
                                std::to_string(rows),
                                "sh",
                                "-c",
                                "\"$@\"; echo $? > '" + status_.string() + ".tmp' && mv '" + status_.string() +
                                    ".tmp' '" + status_.string() + "'",
                                "sh"};
  argv.insert(argv.end(), command.begin(), command.end());
  const auto started = run_command(argv);
  EXPECT_EQ(started.exit_code, 0) << "tmux new-session failed: " << started.err;
}

TmuxSession::~TmuxSession() {
  run_command({"tmux", "-L", socket_, "kill-server"});
  std::filesystem::remove(config_);
  std::filesystem::remove(status_);
}

std::string TmuxSession::tmux(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"tmux", "-L", socket_};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_command(argv);
  EXPECT_EQ(result.exit_code, 0) << "tmux " << (args.empty() ? "" : args[0]) << " failed: " << result.err;
  return result.out;
}

std::vector<std::string> TmuxSession::screen() const {
  std::vector<std::string> rows;
  std::istringstream in(tmux({"capture-pane", "-p", "-t", target_}));
  for (std::string line; std::getline(in, line);) {
    rows.push_back(line);
  }
  return rows;
}

std::string TmuxSession::screen_text() const {
  std::string text;
  for (const auto& row : screen()) {
    text += row + "\n";
  }
  return text;
}

std::vector<std::string> TmuxSession::wait_for(const std::function<bool(const std::string& text)>& match,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto rows = screen();
    std::string text;
    for (const auto& row : rows) {
      text += row + "\n";
    }
    if (match(text) || std::chrono::steady_clock::now() >= deadline) {
      return rows;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool TmuxSession::wait_for_text(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto rows = wait_for([&](const std::string& text) { return text.find(needle) != std::string::npos; }, timeout);
  for (const auto& row : rows) {
    if (row.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void TmuxSession::keys(const std::vector<std::string>& names) const {
  std::vector<std::string> args{"send-keys", "-t", target_};
  args.insert(args.end(), names.begin(), names.end());
  tmux(args);
}

void TmuxSession::type(const std::string& text) const { tmux({"send-keys", "-t", target_, "-l", text}); }

void TmuxSession::resize(int cols, int rows) const {
  tmux({"resize-window", "-t", target_, "-x", std::to_string(cols), "-y", std::to_string(rows)});
}

std::string TmuxSession::pane_title() const {
  auto title = tmux({"display-message", "-p", "-t", target_, "#{pane_title}"});
  while (!title.empty() && title.back() == '\n') {
    title.pop_back();
  }
  return title;
}

std::optional<int> TmuxSession::exit_code() const {
  std::ifstream in(status_);
  int code = 0;
  if (!(in >> code)) {
    return std::nullopt;
  }
  return code;
}

std::optional<int> TmuxSession::wait_exit(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (const auto code = exit_code()) {
      return code;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

}  // namespace privsentry::e2e
