#include "pipeline/replay_driver.hpp"

#include <spdlog/spdlog.h>

#include "privsentry/clock.hpp"
#include "record/record_codec.hpp"
#include "util/text.hpp"

namespace privsentry {

// The recorded clock: wall time is the entry's, and the monotonic clock the
// sensor measures deadlines with follows it.
class ReplayDriver::ReplayClock final : public Clock {
 public:
  [[nodiscard]] WallTime now() const override { return WallTime(std::chrono::nanoseconds(now_ns_)); }
  [[nodiscard]] std::uint64_t boot_now_ns() const override { return static_cast<std::uint64_t>(now_ns_); }
  void set(std::int64_t ns) { now_ns_ = std::max(now_ns_, ns); }

 private:
  std::int64_t now_ns_ = 0;
};

// Device verdicts as recorded: the pipeline asks in the order it asked live.
class ReplayDriver::ReplayDevices final : public DeviceInspector {
 public:
  explicit ReplayDevices(ReplayDriver& driver) : driver_(driver) {}
  DeviceVerdict inspect(const DeviceQuery& query) override {
    if (auto verdict = driver_.next_device_verdict(query)) {
      return *verdict;
    }
    DeviceVerdict unknown;
    unknown.detail = "not in the recording";
    return unknown;
  }

 private:
  ReplayDriver& driver_;
};

// Bundles as recorded, in the order they were looked up.
class ReplayDriver::ReplayBundles final : public BundleSource {
 public:
  explicit ReplayBundles(ReplayDriver& driver) : driver_(driver) {}
  std::optional<Expected<OciBundle>> find(const ContainerRef& ref, std::uint32_t /*pid*/) override {
    auto entry = driver_.take_answer(EntryKind::kBundle);
    if (!entry) {
      return std::nullopt;
    }
    auto answer = bundle_answer_from_json(nlohmann::json::parse(entry->data, nullptr, false));
    if (!answer) {
      return std::nullopt;
    }
    if (answer->ref.id != ref.id) {
      spdlog::warn("replay: bundle answer for {} used for a question about {}", escape_for_terminal(answer->ref.id),
                   escape_for_terminal(ref.id));
    }
    return answer->bundle;
  }

 private:
  ReplayDriver& driver_;
};

// No kernel map to update and no engine to ask: both come from the file.
class ReplayDriver::Inert final : public ContainerCgroupRegistry, public ContainerMetadataSource {
 public:
  void add(std::uint64_t /*cgroup_id*/) override {}
  void remove(std::uint64_t /*cgroup_id*/) override {}
  void request_inspect(const std::string& /*id*/) override {}
};

HostFacts host_facts_from_header(const nlohmann::json& header) {
  HostFacts facts;
  const auto& host = header.value("host_facts", nlohmann::json::object());
  facts.hostname = host.value("hostname", header.value("host", std::string()));
  facts.kernel_release = header.value("kernel", std::string());
  facts.cap_last_cap = host.value("cap_last_cap", 40);
  facts.bounding = CapabilitySet(host.value("bounding", std::uint64_t{0}));
  facts.mntns = host.value("mntns", 0U);
  facts.pidns = host.value("pidns", 0U);
  return facts;
}

ReplayDriver::ReplayDriver(const std::filesystem::path& path, Sink& sink)
    : ReplayDriver(path, [&sink](const HostFacts&, const Clock&) -> Sink& { return sink; }) {}

ReplayDriver::ReplayDriver(const std::filesystem::path& path, const SinkFactory& make_sink)
    : reader_(path),
      clock_(std::make_unique<ReplayClock>()),
      devices_(std::make_unique<ReplayDevices>(*this)),
      bundles_(std::make_unique<ReplayBundles>(*this)),
      inert_(std::make_unique<Inert>()) {
  if (!reader_.header()) {
    return;
  }
  const auto& header = *reader_.header();
  SensorOptions options;
  options.docker_grace = std::chrono::milliseconds(header.value("docker_grace_ms", 2000));
  options.device_recheck = std::chrono::milliseconds(1000LL * header.value("device_recheck_s", 10));
  const bool docker = header.value("docker", std::string("disabled")) != "disabled";
  options.docker_disabled_reason = "Docker enrichment was off when this was recorded";
  options.engine_runtime =
      header.value("engine", std::string("docker")) == "podman" ? ContainerRuntime::kPodman : ContainerRuntime::kDocker;
  clock_->set(parse_rfc3339_ns(header.value("started", std::string())).value_or(0));
  position_ns_ = static_cast<std::int64_t>(clock_->boot_now_ns());
  const auto facts = host_facts_from_header(header);
  Sink& sink = make_sink(facts, *clock_);
  sensor_ = std::make_unique<Sensor>(facts, header.value("tracked_hierarchy_id", 0U), *inert_,
                                     docker ? inert_.get() : nullptr, *devices_, sink, *clock_, options);
  sensor_->set_bundle_source(bundles_.get());
}

ReplayDriver::~ReplayDriver() = default;

std::string ReplayDriver::error() const { return reader_.error().empty() ? entry_error_ : reader_.error(); }

std::optional<RecordEntry> ReplayDriver::take() {
  if (!ahead_.empty()) {
    auto entry = std::move(ahead_.front());
    ahead_.pop_front();
    return entry;
  }
  return reader_.next();
}

std::optional<std::int64_t> ReplayDriver::next_time_ns() {
  while (ahead_.empty()) {
    auto entry = reader_.next();
    if (!entry) {
      return std::nullopt;
    }
    ahead_.push_back(std::move(*entry));
  }
  return ahead_.front().wall_ns;
}

std::optional<RecordEntry> ReplayDriver::take_answer(EntryKind kind) {
  // The answer was recorded right after the entry that caused the question;
  // look a little way ahead for it.
  constexpr std::size_t kLookahead = 4096;
  for (std::size_t i = 0; i < kLookahead; ++i) {
    if (i == ahead_.size()) {
      auto entry = reader_.next();
      if (!entry) {
        return std::nullopt;
      }
      ahead_.push_back(std::move(*entry));
    }
    if (ahead_[i].kind != kind) {
      continue;
    }
    auto entry = std::move(ahead_[i]);
    ahead_.erase(ahead_.begin() + static_cast<std::ptrdiff_t>(i));
    return entry;
  }
  return std::nullopt;
}

std::optional<DeviceVerdict> ReplayDriver::next_device_verdict(const DeviceQuery& query) {
  auto entry = take_answer(EntryKind::kDevice);
  if (!entry) {
    return std::nullopt;
  }
  {
    auto answer = device_answer_from_json(nlohmann::json::parse(entry->data, nullptr, false));
    if (!answer) {
      return std::nullopt;
    }
    if (answer->query.cgroup_path != query.cgroup_path) {
      spdlog::warn("replay: device answer for {} used for a question about {}", answer->query.cgroup_path,
                   query.cgroup_path);
    }
    return answer->verdict;
  }
  return std::nullopt;
}

bool ReplayDriver::step() {
  if (!sensor_) {
    return false;
  }
  auto entry = take();
  if (!entry) {
    return false;
  }
  clock_->set(entry->wall_ns);
  position_ns_ = entry->wall_ns;
  ++fed_;
  switch (entry->kind) {
    case EntryKind::kKernel:
      sensor_->handle_record(
          std::span<const std::byte>(reinterpret_cast<const std::byte*>(entry->data.data()), entry->data.size()));
      break;
    case EntryKind::kDocker: {
      auto update = docker_update_from_json(nlohmann::json::parse(entry->data, nullptr, false));
      if (update) {
        sensor_->handle(*update);
      } else {
        entry_error_ = "entry " + std::to_string(fed_) + ": " + update.error().message;
      }
      break;
    }
    case EntryKind::kScan: {
      auto scanned = scanned_process_from_json(nlohmann::json::parse(entry->data, nullptr, false));
      if (scanned) {
        sensor_->handle_scanned(scanned->cgroups, scanned->process);
      } else {
        entry_error_ = "entry " + std::to_string(fed_) + ": " + scanned.error().message;
      }
      break;
    }
    case EntryKind::kTick:
      sensor_->tick();
      break;
    case EntryKind::kDevice:  // taken by the question it answers
    case EntryKind::kBundle:
    case EntryKind::kOutput:  // decided again, not copied
      break;
  }
  return true;
}

void ReplayDriver::run_until(std::int64_t until_ns) {
  while (true) {
    const auto next = next_time_ns();
    if (!next || *next > until_ns) {
      return;
    }
    step();
  }
}

std::int64_t ReplayDriver::position_ns() const { return position_ns_; }

}  // namespace privsentry
