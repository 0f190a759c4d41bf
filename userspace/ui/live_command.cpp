#include "ui/live_command.hpp"

#include <signal.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

#include "app/sensor_privileges.hpp"
#include "pipeline/live_feed.hpp"
#include "pipeline/replay_driver.hpp"
#include "ui/live_model.hpp"
#include "ui/live_view.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

// Messages from the sensor's thread (or the socket's) to the view's.
class MessageQueue {
 public:
  void push(const json& message) {
    std::lock_guard lock(mutex_);
    messages_.push_back(message);
    if (messages_.size() > kLimit) {
      // A paused view must not hold the sensor's memory hostage.
      messages_.pop_front();
      ++dropped_;
    }
  }
  bool pump(LiveModel& model) {
    std::deque<json> taken;
    std::uint64_t dropped = 0;
    {
      std::lock_guard lock(mutex_);
      taken.swap(messages_);
      dropped = std::exchange(dropped_, 0);
    }
    if (dropped > 0) {
      model.apply({{"kind", "event-loss"}, {"probe", "live view (paused too long)"}, {"lost", dropped}});
    }
    for (const auto& message : taken) {
      model.apply(message);
    }
    return !taken.empty() || dropped > 0;
  }

 private:
  static constexpr std::size_t kLimit = 200000;
  std::mutex mutex_;
  std::deque<json> messages_;
  std::uint64_t dropped_ = 0;
};

bool have_terminal() { return ::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1; }

int no_terminal() {
  std::cerr << "privsentry live needs a terminal on stdin and stdout (it draws a full-screen view); for a stream "
               "of records use privsentry run or privsentry replay\n";
  return 2;
}

// Log lines would draw over the view: keep them, print them after.
std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> capture_logs() {
  auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(200);
  ring->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  ring->set_level(spdlog::level::warn);
  auto logger = std::make_shared<spdlog::logger>("privsentry-live", ring);
  logger->set_level(spdlog::get_level());
  spdlog::set_default_logger(logger);
  return ring;
}

void print_logs(const std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt>& ring) {
  for (const auto& line : ring->last_formatted()) {
    std::cerr << line;
  }
}

void block_stop_signals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
}

int attach(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::cerr << "privsentry live: cannot attach to " << escape_for_terminal(path) << ": " << errno_text(errno)
              << " (is privsentry run --socket " << escape_for_terminal(path) << " running?)\n";
    return 2;
  }
  MessageQueue queue;
  std::atomic<bool> connected{true};
  std::thread reader([&queue, &connected, socket = fd.get()] {
    std::string pending;
    char buf[65536];
    while (true) {
      const ssize_t n = ::recv(socket, buf, sizeof(buf), 0);
      if (n <= 0) {
        break;
      }
      pending.append(buf, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n', start)) {
        auto message = json::parse(pending.substr(start, end - start), nullptr, false);
        if (!message.is_discarded()) {
          queue.push(message);
        }
        start = end + 1;
      }
      pending.erase(0, start);
    }
    queue.push({{"kind", "end"}});
    connected = false;
  });
  LiveModel model;
  LiveView view(model, nullptr);
  view.run([&] { return queue.pump(model); }, [] { return false; });
  ::shutdown(fd.get(), SHUT_RDWR);
  reader.join();
  return 0;
}

// replay --live: moves a ReplayDriver through the file as the keys say.
class ReplayController final : public ReplayControls {
 public:
  ReplayController(std::string file, double speed, std::optional<WallTime> until, LiveModel& model)
      : file_(std::move(file)),
        speed_(speed > 0 ? speed : 1.0),
        until_ns_(until ? std::optional<std::int64_t>(until->time_since_epoch().count()) : std::nullopt),
        model_(model) {
    restart();
  }

  bool valid() const { return driver_ && driver_->header().has_value(); }
  std::string error() const { return driver_ ? driver_->error() : std::string(); }

  // Advances as recorded time passes, times the speed.
  bool pump() {
    if (!paused_ && !ended_) {
      const auto elapsed = std::chrono::steady_clock::now() - anchor_wall_;
      const auto target = anchor_recorded_ + static_cast<std::int64_t>(static_cast<double>(elapsed.count()) * speed_);
      advance_to(target);
    }
    return flush_messages();
  }

  void toggle_pause() override {
    paused_ = !paused_;
    reanchor();
  }
  void step_forward() override {
    paused_ = true;
    const auto before = produced_;
    while (produced_ == before && step()) {
    }
    reanchor();
  }
  void step_back() override {
    paused_ = true;
    // States cannot run backwards: replay from the start up to the entry
    // before the last one that changed the view. (One entry can produce
    // several messages, so counting messages could land on the same place.)
    const auto target = changes_.empty() ? 0 : changes_.back();
    restart();
    while (driver_->entries_fed() < target && step()) {
    }
    reanchor();
  }
  void jump(std::chrono::seconds by) override {
    const auto target = driver_->position_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(by).count();
    if (by.count() < 0) {
      restart();
    }
    advance_to(target);
    reanchor();
  }
  void faster() override {
    speed_ = std::min(speed_ * 2, 1024.0);
    reanchor();
  }
  void slower() override {
    speed_ = std::max(speed_ / 2, 1.0 / 64);
    reanchor();
  }
  [[nodiscard]] std::string status() const override {
    char speed[32];
    std::snprintf(speed, sizeof(speed), "x%g", speed_);
    std::string text = "REPLAY " +
                       format_rfc3339(WallTime(std::chrono::nanoseconds(driver_->position_ns()))).substr(11, 8) + " " +
                       speed;
    if (paused_) {
      text += " PAUSED";
    }
    if (ended_) {
      text += driver_->whole() ? " END" : " STOPPED AT DAMAGE";
    }
    return text;
  }
  void seek(std::int64_t ns) {
    advance_to(ns);
    reanchor();
  }

 private:
  void restart() {
    model_ = LiveModel();
    pending_.clear();
    produced_ = 0;
    changes_.clear();
    ended_ = false;
    driver_.reset();
    feed_.reset();
    driver_ = std::make_unique<ReplayDriver>(file_, [this](const HostFacts& facts, const Clock& clock) -> Sink& {
      feed_ = std::make_unique<LiveFeed>(facts, clock);
      feed_->subscribe([this](const json& message) {
        pending_.push_back(message);
        ++produced_;
      });
      return *feed_;
    });
    if (driver_->sensor() != nullptr) {
      driver_->sensor()->set_observer(feed_.get());
      if (driver_->header()) {
        // The view's header comes from the recording's.
        const auto& h = *driver_->header();
        pending_.push_back({{"kind", "sensor-start"},
                            {"host", h.value("host", std::string())},
                            {"kernel", h.value("kernel", std::string())},
                            {"capability_tier", h.value("capability_tier", std::string())},
                            {"docker", h.value("docker", std::string())},
                            {"time", h.value("started", std::string())}});
      }
    }
    reanchor();
  }
  bool step() {
    const auto entries_before = driver_->entries_fed();
    const auto produced_before = produced_;
    // --until ends the replay as the end of the file would.
    const auto next = until_ns_ ? driver_->next_time_ns() : std::nullopt;
    if ((next && *next > *until_ns_) || !driver_->step()) {
      if (!ended_) {
        ended_ = true;
        feed_->finish();
      }
      return false;
    }
    if (produced_ != produced_before) {
      changes_.push_back(entries_before);
    }
    return true;
  }
  void advance_to(std::int64_t target_ns) {
    while (true) {
      const auto next = driver_->next_time_ns();
      if (!next) {
        step();  // marks the end
        return;
      }
      if (*next > target_ns || !step()) {
        return;
      }
    }
  }
  void reanchor() {
    anchor_wall_ = std::chrono::steady_clock::now();
    anchor_recorded_ = driver_ ? driver_->position_ns() : 0;
  }
  bool flush_messages() {
    if (pending_.empty()) {
      return false;
    }
    for (const auto& message : pending_) {
      model_.apply(message);
    }
    pending_.clear();
    return true;
  }

  std::string file_;
  double speed_;
  std::optional<std::int64_t> until_ns_;
  LiveModel& model_;
  std::unique_ptr<LiveFeed> feed_;
  std::unique_ptr<ReplayDriver> driver_;
  std::vector<json> pending_;
  std::uint64_t produced_ = 0;
  // For each entry that produced a message: how many entries came before it.
  std::vector<std::uint64_t> changes_;
  bool paused_ = false;
  bool ended_ = false;
  std::chrono::steady_clock::time_point anchor_wall_;
  std::int64_t anchor_recorded_ = 0;
};

}  // namespace

int live_command(const LiveOptions& options, const ReloadOptions& reload) {
  if (!have_terminal()) {
    return no_terminal();
  }
  if (!options.attach.empty()) {
    if (auto dropped = drop_privileges(CapabilitySet{}); !dropped) {
      std::cerr << "privsentry live: cannot drop privileges: " << dropped.error().message << "\n";
      return 2;
    }
    return attach(options.attach);
  }
  // Signals go to the sensor's signalfd, not to this thread: Ctrl-C stops the
  // sensor, and the view ends with it, leaving the terminal as it was.
  block_stop_signals();
  const auto logs = capture_logs();
  MessageQueue queue;
  std::atomic<bool> quit{false};
  std::atomic<bool> sensor_done{false};
  int sensor_exit = 0;
  RunHooks hooks;
  hooks.stdout_by_default = false;
  hooks.hangup_stops = true;
  hooks.on_feed = [&queue](LiveFeed& feed) { feed.subscribe([&queue](const json& message) { queue.push(message); }); };
  hooks.stop_requested = [&quit] { return quit.load(); };
  std::thread sensor([&] {
    sensor_exit = run_sensor(options.run, reload, hooks);
    sensor_done = true;
  });
  // This thread only draws what the sensor's thread sends: it keeps nothing.
  // Credentials are per thread, so the sensor's (reduced on its own after
  // loading) are not touched.
  if (auto dropped = drop_privileges(CapabilitySet{}); !dropped) {
    spdlog::warn("live view: cannot drop privileges: {}", dropped.error().message);
  }
  LiveModel model;
  LiveView view(model, nullptr);
  view.run([&] { return queue.pump(model); }, [&] { return sensor_done.load(); });
  quit = true;
  sensor.join();
  print_logs(logs);
  return sensor_exit;
}

int live_replay(const std::string& file, double speed, std::optional<WallTime> from, std::optional<WallTime> until) {
  if (!have_terminal()) {
    return no_terminal();
  }
  const auto logs = capture_logs();
  LiveModel model;
  ReplayController controller(file, speed, until, model);
  if (!controller.valid()) {
    std::cerr << "privsentry replay: " << escape_for_terminal(controller.error()) << "\n";
    return 2;
  }
  if (from) {
    controller.seek(from->time_since_epoch().count());
  }
  LiveView view(model, &controller);
  view.run([&] { return controller.pump(); }, [] { return false; });
  print_logs(logs);
  return 0;
}

}  // namespace privsentry
