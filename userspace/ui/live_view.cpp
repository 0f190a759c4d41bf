#include "ui/live_view.hpp"

#include <curses.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "util/text.hpp"

namespace privsentry {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kFrameInterval = std::chrono::milliseconds(250);

// Escaped, cut or padded to exactly width printable ASCII columns.
std::string cell(std::string_view text, int width) {
  if (width <= 0) {
    return {};
  }
  std::string out = escape_for_terminal(text);
  const auto w = static_cast<std::size_t>(width);
  if (out.size() > w) {
    out = w > 1 ? out.substr(0, w - 1) + "~" : out.substr(0, w);
  }
  out.resize(w, ' ');
  return out;
}

// Cuts text that is already escaped (or built from cell() and fit()
// pieces) to a width. A raw byte that got here by mistake still never
// reaches the terminal: it becomes '?', and escaping twice would garble.
std::string fit(std::string text, int width) {
  if (width >= 0 && text.size() > static_cast<std::size_t>(width)) {
    text.resize(static_cast<std::size_t>(width));
  }
  for (auto& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      c = '?';
    }
  }
  return text;
}

// Raw text (from a container, Docker or the kernel) escaped, then cut.
std::string clip(std::string_view text, int width) { return fit(escape_for_terminal(text), width); }

std::string verdict_label(const std::string& verdict, int width) {
  if (width >= 20) {
    return verdict == "undeclared-privilege"     ? "UNDECLARED PRIVILEGE"
           : verdict == "privileged"             ? "PRIVILEGED"
           : verdict == "privileged-unconfirmed" ? "PRIVILEGED?"
           : verdict == "elevated"               ? "elevated"
                                                 : "clean";
  }
  return verdict == "undeclared-privilege"     ? "UNDECL"
         : verdict == "privileged"             ? "PRIV"
         : verdict == "privileged-unconfirmed" ? "PRIV?"
         : verdict == "elevated"               ? "elev"
                                               : "clean";
}

int verdict_color(const ContainerRow& row) {
  if (row.exited) {
    return kColorExited;
  }
  if (row.verdict == "undeclared-privilege") {
    return kColorUndeclared;
  }
  if (row.verdict == "privileged" || row.verdict == "privileged-unconfirmed") {
    return kColorPrivileged;
  }
  if (row.verdict == "elevated") {
    return kColorElevated;
  }
  return kColorClean;
}

std::string join(const std::vector<std::string>& items, const std::string& sep, bool strip_cap = false) {
  std::string out;
  for (const auto& item : items) {
    std::string text = item;
    if (strip_cap && text.rfind("CAP_", 0) == 0) {
      text = text.substr(4);
    }
    out += (out.empty() ? "" : sep) + text;
  }
  return out;
}

// Splits text into lines of at most width columns (text already escaped),
// between words where it can.
void wrap(std::vector<std::string>& out, const std::string& prefix, const std::string& text, int width) {
  const auto w = static_cast<std::size_t>(std::max(10, width - static_cast<int>(prefix.size())));
  std::string rest = text;
  std::string lead = prefix;
  do {
    std::size_t cut = rest.size() <= w ? rest.size() : rest.rfind(' ', w);
    if (cut == std::string::npos || cut == 0) {
      cut = std::min(w, rest.size());
    }
    out.push_back(lead + rest.substr(0, cut));
    rest = cut < rest.size() ? rest.substr(rest[cut] == ' ' ? cut + 1 : cut) : std::string();
    lead = std::string(prefix.size(), ' ');
  } while (!rest.empty());
}

std::string json_text(const json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_null()) {
    return "?";
  }
  return value.dump(-1, ' ', true, json::error_handler_t::replace);
}

}  // namespace

LiveView::LiveView(LiveModel& model, ReplayControls* replay) : model_(model), replay_(replay) {}

void LiveView::move_selection(int by) {
  const auto rows = model_.rows(sort_, filter_, findings_only_);
  if (rows.empty()) {
    selected_ = 0;
    selected_id_.clear();
    return;
  }
  selected_ = std::clamp(selected_ + by, 0, static_cast<int>(rows.size()) - 1);
  selected_id_ = rows[static_cast<std::size_t>(selected_)]->id;
}

std::string LiveView::status_line(int cols) const {
  if (editing_filter_) {
    return clip("filter: " + filter_input_ + "_   (Enter apply, Esc cancel)", cols);
  }
  std::string status;
  if (replay_ != nullptr) {
    status = replay_->status() + "  ";
  } else if (paused_) {
    status = "PAUSED  ";
  }
  if (model_.header().ended) {
    status += "[stream ended]  ";
  }
  status += "sort:" + std::string(to_string(sort_));
  if (findings_only_) {
    status += "  findings only";
  }
  if (!filter_.empty()) {
    status += "  filter:" + escape_for_terminal(filter_);
  }
  status += mode_ == Mode::kDetail ? "  |  Esc back  arrows scroll" : "  |  ? help  q quit";
  return fit(status, cols);
}

std::vector<std::string> LiveView::main_lines(int rows, int cols, std::vector<int>& colors) {
  std::vector<std::string> lines;
  const auto& h = model_.header();
  const std::string counts = "ev/s " + std::to_string(h.events_per_second) + "  lost " + std::to_string(h.lost) +
                             "  findings " + std::to_string(h.findings);
  // At 80 columns the labels give way to the values.
  const std::string header = cols >= 110
                                 ? "privsentry live  host " + h.host + "  kernel " + h.kernel + "  tier " + h.tier +
                                       "  docker " + h.docker + "  " + counts
                                 : h.host + "  " + h.kernel + "  " + h.tier + "  docker:" + h.docker + "  " + counts;
  lines.push_back(clip(header, cols));
  colors.push_back(kColorHeader);

  // Columns: the fixed ones first; what is left goes to name, image, used
  // and verdict.
  const int fixed = 12 + 7 + 4 + 6 + 6 + 4 + 9;  // id, runtime, priv, caps, dev, findings, gaps
  const int spare = std::max(24, cols - fixed);
  const int name_w = spare * 25 / 100;
  const int image_w = spare * 25 / 100;
  const int used_w = spare * 22 / 100;
  const int verdict_w = spare - name_w - image_w - used_w;
  auto row_text = [&](const std::string& id, const std::string& name, const std::string& image, const std::string& rt,
                      const std::string& priv, const std::string& caps, const std::string& dev, const std::string& used,
                      const std::string& found, const std::string& verdict) {
    return cell(id, 12) + " " + cell(name, name_w) + " " + cell(image, image_w) + " " + cell(rt, 7) + " " +
           cell(priv, 4) + " " + cell(caps, 6) + " " + cell(dev, 6) + " " + cell(used, used_w) + " " + cell(found, 4) +
           " " + cell(verdict, verdict_w);
  };
  lines.push_back(
      fit(row_text("CONTAINER", "NAME", "IMAGE", "RUNTIME", "PRIV", "CAPS", "DEVICE", "CAPS USED", "FIND", "VERDICT"),
          cols));
  colors.push_back(kColorHeader);

  const int body = std::max(4, rows - 4);
  const int table_h = std::max(2, body * 45 / 100);
  const int events_h = std::max(1, body - table_h);

  const auto rows_list = model_.rows(sort_, filter_, findings_only_);
  // Keep the selection on the same container as the rows move.
  if (!selected_id_.empty()) {
    for (std::size_t i = 0; i < rows_list.size(); ++i) {
      if (rows_list[i]->id == selected_id_) {
        selected_ = static_cast<int>(i);
      }
    }
  }
  if (!rows_list.empty()) {
    selected_ = std::clamp(selected_, 0, static_cast<int>(rows_list.size()) - 1);
    selected_id_ = rows_list[static_cast<std::size_t>(selected_)]->id;
  }
  const int first = std::max(0, selected_ - table_h + 1);
  for (int i = 0; i < table_h; ++i) {
    const auto index = static_cast<std::size_t>(first + i);
    if (index >= rows_list.size()) {
      lines.push_back(i == 0 && rows_list.empty() ? clip("  (no containers yet)", cols) : std::string());
      colors.push_back(kColorNone);
      continue;
    }
    const auto& row = *rows_list[index];
    const std::string priv = !row.docker_privileged ? "?" : *row.docker_privileged ? "yes" : "no";
    const std::string caps = row.capabilities_full
                                 ? "full"
                                 : std::to_string(row.capabilities_held) + "/" + std::to_string(row.capabilities_host);
    const std::string dev = row.devices == "unrestricted"                ? "open"
                            : row.devices == "restricted"                ? "restr"
                            : row.devices == "allows-host-block-devices" ? "blk"
                            : row.devices == "allows-sensitive-devices"  ? "sens"
                                                                         : "?";
    lines.push_back(
        fit(row_text(row.id.substr(0, 12), row.name.empty() ? "-" : row.name, row.image.empty() ? "-" : row.image,
                     row.runtime, priv, caps, dev, join(row.used, ",", true), std::to_string(row.findings.size()),
                     verdict_label(row.verdict, verdict_w) + (row.exited ? " (exited)" : "")),
            cols));
    colors.push_back(static_cast<int>(index) == selected_ && mode_ == Mode::kMain
                         ? kColorSelected * 100 + verdict_color(row)
                         : verdict_color(row));
  }

  const auto events = model_.events(findings_only_, filter_);
  const int total = static_cast<int>(events.size());
  const int visible = events_h - 1;
  event_scroll_ = std::clamp(event_scroll_, 0, std::max(0, total - visible));
  lines.push_back(clip("-- events" + std::string(findings_only_ ? " (findings only)" : "") +
                           (event_scroll_ > 0 ? "  [" + std::to_string(event_scroll_) + " back, End for newest]" : "") +
                           " " + std::string(static_cast<std::size_t>(std::max(0, cols)), '-'),
                       cols));
  colors.push_back(kColorHeader);
  const int end = total - event_scroll_;
  const int start = std::max(0, end - visible);
  for (int i = start; i < start + visible; ++i) {
    if (i >= end || i < 0) {
      lines.push_back(std::string());
      colors.push_back(kColorNone);
      continue;
    }
    const auto& e = *events[static_cast<std::size_t>(i)];
    const std::string who =
        e.container_id.empty() ? "" : (e.container_name.empty() ? e.container_id.substr(0, 12) : e.container_name);
    lines.push_back(fit(
        escape_for_terminal(e.time) + " " + cell(e.kind, 10) + " " + cell(who, 14) + " " + escape_for_terminal(e.text),
        cols));
    colors.push_back(e.kind == "finding" ? (e.severity == "critical" ? kColorUndeclared : kColorPrivileged)
                     : e.kind == "loss"  ? kColorElevated
                                         : kColorNone);
  }
  return lines;
}

std::vector<std::string> LiveView::detail_lines(int cols) {
  std::vector<std::string> out;
  const auto* row = model_.find(selected_id_);
  if (row == nullptr) {
    out.push_back("(no container selected)");
    return out;
  }
  const auto& state = row->state;
  out.push_back(clip("Container " + row->id + (row->exited ? "  (exited)" : ""), cols));
  out.push_back(clip("  name " + (row->name.empty() ? "-" : row->name) + "   image " +
                         (row->image.empty() ? "-" : row->image) + "   runtime " + row->runtime,
                     cols));
  out.push_back(clip("  verdict " + verdict_label(row->verdict, 40) + "   docker " + row->docker_status +
                         ", privileged " +
                         (!row->docker_privileged   ? "?"
                          : *row->docker_privileged ? "yes"
                                                    : "no"),
                     cols));
  // Labels are free text the container's creator chose: the most likely
  // place for a hostile string, shown escaped and clipped like the rest.
  const auto& labels = state.value("container", json::object()).value("labels", json::object());
  if (labels.is_object() && !labels.empty()) {
    out.push_back(clip("  labels (" + std::to_string(labels.size()) + ")", cols));
    for (const auto& [key, value] : labels.items()) {
      out.push_back(clip("    " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()), cols));
    }
  }
  out.emplace_back();

  const auto findings = model_.findings_for(row->id);
  out.push_back("Findings (" + std::to_string(findings.size()) + ")");
  for (const auto& f : findings) {
    out.push_back(clip("  [" + f.value("severity", std::string()) + "] " + f.value("rule", std::string()) + "  " +
                           f.value("time", std::string()),
                       cols));
    wrap(out, "      ", escape_for_terminal(f.value("summary", std::string())), cols);
    const auto& ev = f.value("evidence", json::object());
    if (ev.contains("capability_use")) {
      wrap(out, "      use: ", escape_for_terminal(json_text(ev["capability_use"])), cols);
    }
    if (ev.contains("kernel_sees")) {
      wrap(out, "      kernel sees: ", escape_for_terminal(json_text(ev["kernel_sees"])), cols);
    }
  }
  out.emplace_back();

  const auto& caps = state.value("capabilities", json::object());
  out.push_back(clip("Capabilities  bounding " + caps.value("bounding", std::string("?")) + "  host " +
                         caps.value("host_bounding", std::string("?")),
                     cols));
  wrap(out, "  held:    ", escape_for_terminal(join(caps.value("held", std::vector<std::string>{}), " ", true)), cols);
  wrap(out,
       "  missing: ", escape_for_terminal(join(caps.value("missing", std::vector<std::string>{}), " ", true) + " "),
       cols);
  const auto waived = caps.value("waived_by_sys_admin", std::vector<std::string>{});
  if (!waived.empty()) {
    wrap(out, "  waived by SYS_ADMIN: ", escape_for_terminal(join(waived, " ", true)), cols);
  }
  wrap(out, "  used:    ", escape_for_terminal(join(state.value("used", std::vector<std::string>{}), " ", true) + " "),
       cols);
  wrap(out,
       "  denied:  ", escape_for_terminal(join(state.value("denied", std::vector<std::string>{}), " ", true) + " "),
       cols);
  out.emplace_back();

  const auto& devices = state.value("devices", json::object());
  out.push_back(clip("Devices  " + devices.value("state", std::string("unknown")) + "  (" +
                         devices.value("source", std::string()) + ")  " + devices.value("path", std::string()),
                     cols));
  for (const auto& rule : devices.value("rules", std::vector<std::string>{})) {
    out.push_back(clip("  " + rule, cols));
  }
  if (devices.contains("detail")) {
    wrap(out, "  ", escape_for_terminal(json_text(devices["detail"])), cols);
  }
  out.emplace_back();

  const auto& docker = state.value("docker", json::object());
  out.push_back("Docker HostConfig (" + clip(docker.value("status", std::string("?")), 20) + ")");
  for (const char* key : {"privileged", "cap_add", "cap_drop", "devices", "device_cgroup_rules", "security_opt",
                          "pid_mode", "userns_mode", "oci_runtime", "error"}) {
    if (docker.contains(key)) {
      wrap(out, "  " + std::string(key) + ": ", escape_for_terminal(json_text(docker[key])), cols);
    }
  }
  out.emplace_back();

  const auto processes = state.value("processes", json::array());
  out.push_back("Processes (" + std::to_string(state.value("processes_total", processes.size())) + ")");
  out.push_back(fit("  " + cell("PID", 8) + cell("COMM", 16) + cell("EFFECTIVE", 19) + cell("PERMITTED", 19) +
                        cell("BOUNDING", 19) + "FILE",
                    cols));
  for (const auto& p : processes) {
    out.push_back(fit("  " + cell(std::to_string(p.value("pid", 0)), 8) + cell(p.value("comm", std::string()), 16) +
                          cell(p.value("effective", std::string()), 19) +
                          cell(p.value("permitted", std::string()), 19) + cell(p.value("bounding", std::string()), 19) +
                          escape_for_terminal(p.value("filename", std::string())),
                      cols));
  }
  out.emplace_back();

  out.push_back("Timeline");
  for (const auto* e : model_.timeline(row->id)) {
    out.push_back(
        fit("  " + escape_for_terminal(e->time) + " " + cell(e->kind, 10) + " " + escape_for_terminal(e->text), cols));
  }
  return out;
}

std::vector<std::string> LiveView::help_lines() const {
  std::vector<std::string> out = {
      "privsentry live: keys",
      "",
      "  Up/Down, j/k    select a container",
      "  Enter           details of the selected container (Esc to go back)",
      "  PgUp/PgDn       scroll the events back and forth; End: the newest",
      "  /               filter containers and events by text (id, name, image, verdict)",
      "  f               findings only (containers with findings, finding events)",
      "  s               sort: verdict, name, image, findings, age",
      "  c               clear exited containers",
      "  p               pause (the sensor keeps running; the view catches up on resume)",
      "  ?               this help",
      "  q               quit",
  };
  if (replay_ != nullptr) {
    out.insert(out.end(),
               {"", "  replay:  space pause   . step   , step back   ] +10 s   [ -10 s   + faster   - slower"});
  }
  out.insert(out.end(), {"",
                         "Verdicts: UNDECLARED PRIVILEGE (magenta), PRIVILEGED (red), elevated (yellow), clean "
                         "(green); exited containers are dim.",
                         "", "Press any key to close."});
  return out;
}

std::vector<std::string> LiveView::render(int rows, int cols) {
  std::vector<int> colors;
  return frame(rows, cols, colors);
}

std::vector<std::string> LiveView::frame(int rows, int cols, std::vector<int>& colors) {
  std::vector<std::string> lines;
  colors.clear();
  if (mode_ == Mode::kHelp) {
    lines = help_lines();
  } else if (mode_ == Mode::kDetail) {
    auto all = detail_lines(cols);
    detail_scroll_ = std::clamp(detail_scroll_, 0, std::max(0, static_cast<int>(all.size()) - (rows - 1)));
    lines.assign(all.begin() + std::min<std::ptrdiff_t>(detail_scroll_, static_cast<std::ptrdiff_t>(all.size())),
                 all.end());
  } else {
    lines = main_lines(rows, cols, colors);
  }
  lines.resize(static_cast<std::size_t>(std::max(0, rows - 1)));
  for (auto& line : lines) {
    line = fit(std::move(line), cols);
  }
  lines.push_back(status_line(cols));
  return lines;
}

bool LiveView::handle_key(int key) {
  if (editing_filter_) {
    if (key == 27) {
      editing_filter_ = false;
    } else if (key == '\n' || key == KEY_ENTER) {
      filter_ = filter_input_;
      editing_filter_ = false;
    } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
      if (!filter_input_.empty()) {
        filter_input_.pop_back();
      }
    } else if (key >= 0x20 && key < 0x7f && filter_input_.size() < 64) {
      filter_input_.push_back(static_cast<char>(key));
    }
    return true;
  }
  if (mode_ == Mode::kHelp) {
    mode_ = Mode::kMain;
    return true;
  }
  if (mode_ == Mode::kDetail) {
    switch (key) {
      case 27:
      case KEY_BACKSPACE:
      case 'h':
        mode_ = Mode::kMain;
        return true;
      case KEY_UP:
      case 'k':
        detail_scroll_ = std::max(0, detail_scroll_ - 1);
        return true;
      case KEY_DOWN:
      case 'j':
        ++detail_scroll_;
        return true;
      case KEY_PPAGE:
        detail_scroll_ = std::max(0, detail_scroll_ - 10);
        return true;
      case KEY_NPAGE:
        detail_scroll_ += 10;
        return true;
      case 'q':
        quit_ = true;
        return true;
      default:
        break;
    }
  }
  switch (key) {
    case 'q':
      quit_ = true;
      return true;
    case KEY_UP:
    case 'k':
      move_selection(-1);
      return true;
    case KEY_DOWN:
    case 'j':
      move_selection(1);
      return true;
    case '\n':
    case KEY_ENTER:
      if (!selected_id_.empty()) {
        mode_ = Mode::kDetail;
        detail_scroll_ = 0;
      }
      return true;
    case KEY_PPAGE:
      event_scroll_ += 5;
      return true;
    case KEY_NPAGE:
      event_scroll_ = std::max(0, event_scroll_ - 5);
      return true;
    case KEY_END:
      event_scroll_ = 0;
      return true;
    case '/':
      editing_filter_ = true;
      filter_input_ = filter_;
      return true;
    case 'f':
      findings_only_ = !findings_only_;
      return true;
    case 's':
      sort_ = sort_ == SortKey::kVerdict    ? SortKey::kName
              : sort_ == SortKey::kName     ? SortKey::kImage
              : sort_ == SortKey::kImage    ? SortKey::kFindings
              : sort_ == SortKey::kFindings ? SortKey::kAge
                                            : SortKey::kVerdict;
      return true;
    case 'c':
      model_.clear_exited();
      return true;
    case 'p':
    case ' ':
      if (replay_ != nullptr) {
        replay_->toggle_pause();
      } else {
        paused_ = !paused_;
      }
      return true;
    case '?':
      mode_ = Mode::kHelp;
      return true;
    default:
      break;
  }
  if (replay_ != nullptr) {
    switch (key) {
      case '.':
        replay_->step_forward();
        return true;
      case ',':
        replay_->step_back();
        return true;
      case ']':
        replay_->jump(std::chrono::seconds(10));
        return true;
      case '[':
        replay_->jump(std::chrono::seconds(-10));
        return true;
      case '+':
        replay_->faster();
        return true;
      case '-':
        replay_->slower();
        return true;
      default:
        break;
    }
  }
  return key == KEY_RESIZE;
}

namespace {

bool terminal_gone() {
  pollfd fds{STDIN_FILENO, POLLIN, 0};
  return ::poll(&fds, 1, 0) > 0 && (fds.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace

int LiveView::run(const Pump& pump, const std::function<bool()>& should_exit) {
  initscr();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  timeout(100);
  if (has_colors()) {
    start_color();
    use_default_colors();
    init_pair(kColorPrivileged, COLOR_RED, -1);
    init_pair(kColorUndeclared, COLOR_MAGENTA, -1);
    init_pair(kColorElevated, COLOR_YELLOW, -1);
    init_pair(kColorClean, COLOR_GREEN, -1);
    init_pair(kColorHeader, COLOR_CYAN, -1);
    init_pair(kColorExited, -1, -1);
  }
  bool dirty = true;
  auto last_draw = SteadyClock::now() - kFrameInterval;
  while (!quit_) {
    if (terminal_gone()) {
      // A closed SSH session or a killed tmux: nothing to draw on, and
      // getch() would return at once for ever.
      break;
    }
    const int key = getch();
    if (key != ERR) {
      dirty = handle_key(key) || dirty;
    }
    if (!paused_ && pump()) {
      dirty = true;
    }
    const auto now = SteadyClock::now();
    if (dirty && now - last_draw >= kFrameInterval) {
      int rows = 0;
      int cols = 0;
      getmaxyx(stdscr, rows, cols);
      std::vector<int> colors;
      const auto lines = frame(rows, cols, colors);
      erase();
      for (int y = 0; y < rows && y < static_cast<int>(lines.size()); ++y) {
        const int color = y < static_cast<int>(colors.size()) ? colors[static_cast<std::size_t>(y)] : kColorNone;
        attr_t attrs = A_NORMAL;
        int pair = color % 100;
        if (color >= 100) {
          attrs |= A_REVERSE;
        }
        if (pair == kColorExited) {
          attrs |= A_DIM;
          pair = kColorNone;
        }
        if (pair == kColorHeader || y == rows - 1) {
          attrs |= A_BOLD;
        }
        if (has_colors() && pair != kColorNone) {
          attrs |= COLOR_PAIR(pair);
        }
        attron(attrs);
        mvaddnstr(y, 0, lines[static_cast<std::size_t>(y)].c_str(), cols);
        attroff(attrs);
      }
      wnoutrefresh(stdscr);
      doupdate();
      last_draw = now;
      dirty = false;
    }
    if (should_exit()) {
      break;
    }
  }
  endwin();
  return 0;
}

}  // namespace privsentry
