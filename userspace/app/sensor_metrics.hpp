#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "kernel/bpf_loader.hpp"
#include "output/output_fanout.hpp"
#include "pipeline/sensor.hpp"

namespace privsentry {

// What /metrics shows: the event loop publishes a snapshot once a second;
// the metrics thread renders it with the sinks' live counters.
class SensorMetrics {
 public:
  void publish(const ProbeCounters& probes, const Sensor& sensor, std::size_t containers);
  [[nodiscard]] std::string render(const OutputFanout& outputs) const;

 private:
  mutable std::mutex mutex_;
  ProbeCounters probes_{};
  SensorStats stats_;
  bool docker_up_ = false;
  std::size_t containers_ = 0;
};

}  // namespace privsentry
