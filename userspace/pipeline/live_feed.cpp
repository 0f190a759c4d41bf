#include "pipeline/live_feed.hpp"

#include "pipeline/sensor.hpp"
#include "rules/evidence.hpp"
#include "state/capability_verdict.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxProcessesShown = 64;

json short_container(const Container& c) {
  json out = {{"id", c.ref.id}, {"runtime", std::string(to_string(c.ref.runtime))}};
  out["name"] = c.docker ? json(c.docker->name) : json(nullptr);
  return out;
}

}  // namespace

LiveFeed::LiveFeed(const HostFacts& facts, const Clock& clock, std::size_t history)
    : facts_(facts), clock_(clock), rules_(facts_), encoder_(facts.hostname), history_limit_(history) {}

int LiveFeed::subscribe(Subscriber subscriber) {
  std::lock_guard lock(mutex_);
  // The snapshot first, so the subscriber starts from where the sensor is.
  if (!sensor_start_.is_null()) {
    subscriber(sensor_start_);
  }
  for (const auto& message : history_) {
    subscriber(message);
  }
  for (const auto& [id, state] : containers_) {
    subscriber(state);
  }
  if (!last_stats_.is_null()) {
    subscriber(last_stats_);
  }
  const int id = next_id_++;
  subscribers_.emplace(id, std::move(subscriber));
  return id;
}

void LiveFeed::unsubscribe(int id) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(id);
}

void LiveFeed::publish(json message, bool keep_in_history) {
  std::lock_guard lock(mutex_);
  const auto kind = message.value("kind", std::string());
  if (kind == "sensor-start") {
    sensor_start_ = message;
  } else if (kind == "stats") {
    last_stats_ = message;
  } else if (kind == "container-state") {
    const auto id = message["container"].value("id", std::string());
    if (message.value("exited", false)) {
      containers_.erase(id);
    } else {
      containers_[id] = message;
    }
  }
  if (keep_in_history) {
    history_.push_back(message);
    if (history_.size() > history_limit_) {
      history_.pop_front();
    }
  }
  for (const auto& [id, subscriber] : subscribers_) {
    subscriber(message);
  }
}

void LiveFeed::write(const OutputRecord& record) {
  auto message = encoder_.encode(record);
  const auto kind = message.value("kind", std::string());
  if (kind == "finding") {
    ++findings_;
  } else if (kind == "event-loss") {
    lost_ += message.value("lost", std::uint64_t{0});
  }
  publish(std::move(message), kind != "sensor-start");
}

json LiveFeed::container_state(const Container& c, bool exited) const {
  json out;
  out["kind"] = "container-state";
  out["time"] = format_rfc3339(clock_.now());
  out["container"] = container_json(snapshot_of(c));
  out["exited"] = exited;
  out["posture"] = rules_.posture(c);
  const auto verdict = evaluate_capabilities(c.bounding_union, facts_.bounding);
  out["capabilities"] = {{"bounding", c.bounding_union.hex()},
                         {"held", verdict.held.names()},
                         {"missing", verdict.missing.names()},
                         {"waived_by_sys_admin", verdict.waived.names()},
                         {"host_bounding", facts_.bounding.hex()}};
  json used = json::array();
  for (const auto& [capability, use] : c.used) {
    used.push_back(capability_name(capability));
  }
  out["used"] = used;
  out["denied"] = c.denied.names();
  out["devices"] = device_evidence(c.devices);
  out["docker"] = docker_evidence(c);
  json findings = json::array();
  for (const auto& [id, label] : c.findings) {
    findings.push_back(label);
  }
  out["findings"] = findings;
  json processes = json::array();
  for (const auto& [pid, p] : c.processes) {
    if (processes.size() == kMaxProcessesShown) {
      break;
    }
    processes.push_back({{"pid", p.pid},
                         {"ppid", p.ppid},
                         {"ns_pid", p.ns_pid},
                         {"comm", p.comm},
                         {"filename", p.filename},
                         {"uid", p.uid},
                         {"effective", p.caps.effective.hex()},
                         {"permitted", p.caps.permitted.hex()},
                         {"bounding", p.caps.bounding.hex()}});
  }
  out["processes"] = processes;
  out["processes_total"] = c.processes.size();
  return out;
}

void LiveFeed::on_activity(const KernelEvent& event, const Container& container) {
  json message = {
      {"kind", "activity"}, {"time", format_rfc3339(clock_.now())}, {"container", short_container(container)}};
  if (const auto* exec = std::get_if<ExecEvent>(&event)) {
    message["event"] = "exec";
    message["pid"] = exec->task.tgid;
    message["comm"] = exec->task.comm;
    message["detail"] = exec->filename;
  } else if (const auto* cap = std::get_if<CapabilityEvent>(&event)) {
    message["event"] = "capability";
    message["pid"] = cap->task.tgid;
    message["comm"] = cap->task.comm;
    message["detail"] = capability_name(cap->capability) + (cap->granted ? " granted" : " denied");
  } else if (const auto* cgroup = std::get_if<CgroupEvent>(&event)) {
    message["event"] = "cgroup";
    message["pid"] = cgroup->tgid;
    message["comm"] = cgroup->comm;
    message["detail"] = "created " + cgroup->path;
  } else {
    // Forks and exits change the process list, not the event pane.
    dirty_[container.key] = &container;
    return;
  }
  publish(std::move(message), true);
  dirty_[container.key] = &container;
}

void LiveFeed::on_container_changed(const Container& container) {
  const bool known = [&] {
    std::lock_guard lock(mutex_);
    return containers_.contains(container.ref.id);
  }();
  if (!known) {
    publish(container_state(container, false), false);  // first sight: at once
  } else {
    dirty_[container.key] = &container;
  }
}

void LiveFeed::on_container_exited(const Container& container) {
  dirty_.erase(container.key);
  publish(container_state(container, true), true);
}

void LiveFeed::on_tick(const SensorStats& stats) {
  // Container states at most once a tick each, whatever the exec rate.
  for (const auto& [key, container] : dirty_) {
    publish(container_state(*container, false), false);
  }
  dirty_.clear();
  const auto now = clock_.now().time_since_epoch().count();
  if (now - last_tick_ns_ >= 1'000'000'000LL) {
    const double seconds = last_tick_ns_ == 0 ? 1.0 : static_cast<double>(now - last_tick_ns_) / 1e9;
    const auto rate = static_cast<std::uint64_t>(static_cast<double>(stats.records - last_records_) / seconds);
    last_records_ = stats.records;
    last_tick_ns_ = now;
    publish({{"kind", "stats"},
             {"time", format_rfc3339(clock_.now())},
             {"events_per_second", rate},
             {"records", stats.records},
             {"lost", lost_},
             {"findings", findings_},
             {"containers_started", stats.containers_started}},
            false);
  }
}

void LiveFeed::finish() { publish({{"kind", "end"}, {"time", format_rfc3339(clock_.now())}}, false); }

}  // namespace privsentry
