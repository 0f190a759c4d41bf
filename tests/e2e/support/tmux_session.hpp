#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace privsentry::e2e {

// A real terminal: a detached tmux session on a private tmux server, running
// one command. Tests send keys and read the screen as a person would see it.
class TmuxSession {
 public:
  TmuxSession(const std::vector<std::string>& command, int cols, int rows);
  ~TmuxSession();
  TmuxSession(const TmuxSession&) = delete;
  TmuxSession& operator=(const TmuxSession&) = delete;

  // The visible screen, one string per row (what capture-pane prints).
  [[nodiscard]] std::vector<std::string> screen() const;
  [[nodiscard]] std::string screen_text() const;
  // Polls the screen until match is true; the last screen either way.
  std::vector<std::string> wait_for(const std::function<bool(const std::string& text)>& match,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(15));
  bool wait_for_text(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // tmux key names: "Enter", "Escape", "Down", "q", "C-c", ...
  void keys(const std::vector<std::string>& names) const;
  // Characters typed as they are.
  void type(const std::string& text) const;
  void resize(int cols, int rows) const;
  [[nodiscard]] std::string pane_title() const;
  // The command's exit code once it has ended, or nullopt.
  [[nodiscard]] std::optional<int> exit_code() const;
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  std::string tmux(const std::vector<std::string>& args) const;

  std::string socket_;
  std::filesystem::path config_;
  std::filesystem::path status_;
  std::string target_;
};

}  // namespace privsentry::e2e
