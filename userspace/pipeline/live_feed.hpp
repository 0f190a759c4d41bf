#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/sensor_observer.hpp"
#include "privsentry/sink.hpp"
#include "rules/rule_engine.hpp"
#include "sinks/native_json_encoder.hpp"

namespace privsentry {

// What the live view shows, as a stream of JSON messages: the sensor's
// records (findings, container-start, ...), "activity" (exec, capability
// use, cgroup creation), "container-state" (a container in full: posture,
// capabilities by name, devices, Docker's fields, processes) and "stats".
// A subscriber first gets a snapshot (the sensor's start, every container,
// the recent history), then every message. Fed on the sensor's thread;
// subscribed to from any.
class LiveFeed final : public Sink, public SensorObserver {
 public:
  using Subscriber = std::function<void(const nlohmann::json&)>;

  LiveFeed(const HostFacts& facts, const Clock& clock, std::size_t history = 2000);

  int subscribe(Subscriber subscriber);
  void unsubscribe(int id);

  void write(const OutputRecord& record) override;
  void flush() override {}

  void on_activity(const KernelEvent& event, const Container& container) override;
  void on_container_changed(const Container& container) override;
  void on_container_exited(const Container& container) override;
  void on_tick(const SensorStats& stats) override;

  // The end of the stream (the sensor stopped).
  void finish();

 private:
  void publish(nlohmann::json message, bool keep_in_history);
  nlohmann::json container_state(const Container& container, bool exited) const;

  HostFacts facts_;
  const Clock& clock_;
  RuleEngine rules_;
  NativeJsonEncoder encoder_;
  std::size_t history_limit_;

  std::mutex mutex_;
  std::map<int, Subscriber> subscribers_;
  int next_id_ = 1;
  nlohmann::json sensor_start_;
  nlohmann::json last_stats_;
  std::map<std::string, nlohmann::json> containers_;
  std::deque<nlohmann::json> history_;

  // Sensor thread only: containers changed since the last tick.
  std::map<std::string, const Container*> dirty_;
  std::uint64_t last_records_ = 0;
  std::int64_t last_tick_ns_ = 0;
  std::uint64_t lost_ = 0;
  std::uint64_t findings_ = 0;
};

}  // namespace privsentry
