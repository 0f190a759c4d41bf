#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "ui/live_model.hpp"

namespace privsentry {

// What replay --live lets the keys do; null in a live session.
class ReplayControls {
 public:
  virtual ~ReplayControls() = default;
  virtual void toggle_pause() = 0;
  virtual void step_forward() = 0;
  virtual void step_back() = 0;
  virtual void jump(std::chrono::seconds by) = 0;
  virtual void faster() = 0;
  virtual void slower() = 0;
  [[nodiscard]] virtual std::string status() const = 0;
};

// The full-screen ncurses view. Every string that came from a container,
// Docker or the kernel is escaped to printable ASCII and cut to its column
// before it reaches the screen.
class LiveView {
 public:
  // pump moves new messages into the model; true if anything changed.
  using Pump = std::function<bool()>;

  LiveView(LiveModel& model, ReplayControls* replay);

  // Runs until q, or until should_exit says so (the in-process sensor
  // stopped). Returns the exit code.
  int run(const Pump& pump, const std::function<bool()>& should_exit);

  // The screen's lines for the current state at a size, without a terminal:
  // what run() draws (tests check layout and escaping with it).
  std::vector<std::string> render(int rows, int cols);
  // A key press, as run() would handle it; true if the screen changes.
  bool handle_key(int key);

 private:
  enum class Mode { kMain, kDetail, kHelp };

  // The screen's lines and, in the main view, each line's colour.
  std::vector<std::string> frame(int rows, int cols, std::vector<int>& colors);
  void move_selection(int by);
  std::vector<std::string> main_lines(int rows, int cols, std::vector<int>& colors);
  std::vector<std::string> detail_lines(int cols);
  std::vector<std::string> help_lines() const;
  std::string status_line(int cols) const;

  LiveModel& model_;
  ReplayControls* replay_;
  Mode mode_ = Mode::kMain;
  SortKey sort_ = SortKey::kVerdict;
  bool findings_only_ = false;
  bool paused_ = false;
  std::string filter_;
  bool editing_filter_ = false;
  std::string filter_input_;
  std::string selected_id_;
  int selected_ = 0;
  int detail_scroll_ = 0;
  int event_scroll_ = 0;  // lines back from the newest
  bool quit_ = false;
};

// Colors a line index gets in main_lines (0: none).
enum LineColor {
  kColorNone = 0,
  kColorPrivileged = 1,
  kColorUndeclared = 2,
  kColorElevated = 3,
  kColorClean = 4,
  kColorHeader = 5,
  kColorExited = 6,
  kColorSelected = 7
};

}  // namespace privsentry
