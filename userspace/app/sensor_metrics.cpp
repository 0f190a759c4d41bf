#include "app/sensor_metrics.hpp"

#include <sstream>

#include "metrics/metrics_server.hpp"

namespace privsentry {

void SensorMetrics::publish(const ProbeCounters& probes, const Sensor& sensor, std::size_t containers) {
  std::lock_guard lock(mutex_);
  probes_ = probes;
  stats_ = sensor.stats();
  docker_up_ = sensor.docker_connected();
  containers_ = containers;
}

std::string SensorMetrics::render(const OutputFanout& outputs) const {
  std::ostringstream out;
  auto header = [&](const char* name, const char* type, const char* help) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  };
  {
    std::lock_guard lock(mutex_);
    header("privsentry_kernel_events_total", "counter",
           "Kernel events per probe: seen, emitted, lost, filtered_host, runtime_setup, deduplicated, errors.");
    for (std::size_t i = 0; i < probes_.size(); ++i) {
      const auto& c = probes_[i];
      const std::pair<const char*, std::uint64_t> outcomes[] = {{"seen", c.seen},
                                                                {"emitted", c.emitted},
                                                                {"lost", c.lost},
                                                                {"filtered_host", c.filtered_host},
                                                                {"runtime_setup", c.runtime_setup},
                                                                {"deduplicated", c.deduplicated},
                                                                {"errors", c.errors}};
      for (const auto& [outcome, value] : outcomes) {
        out << "privsentry_kernel_events_total{probe=\"" << probe_name(i) << "\",outcome=\"" << outcome << "\"} "
            << value << "\n";
      }
    }
    header("privsentry_findings_total", "counter", "Findings raised, per rule.");
    for (const auto& [rule, count] : stats_.findings_by_rule) {
      out << "privsentry_findings_total{rule=\"" << prometheus_label(rule) << "\"} " << count << "\n";
    }
    header("privsentry_records_decoded_total", "counter", "Kernel records decoded.");
    out << "privsentry_records_decoded_total " << stats_.records << "\n";
    header("privsentry_decode_errors_total", "counter", "Kernel records that could not be decoded.");
    out << "privsentry_decode_errors_total " << stats_.decode_errors << "\n";
    header("privsentry_containers", "gauge", "Containers the sensor follows.");
    out << "privsentry_containers " << containers_ << "\n";
    header("privsentry_docker_up", "gauge", "1 while the Docker Engine API answers.");
    out << "privsentry_docker_up " << (docker_up_ ? 1 : 0) << "\n";
  }
  header("privsentry_sink_queue_depth", "gauge", "Records waiting in a sink's memory queue.");
  header("privsentry_sink_spool_bytes", "gauge", "Bytes of a sink's disk spool.");
  header("privsentry_sink_spool_records", "gauge", "Records waiting in a sink's disk spool.");
  header("privsentry_sink_delivered_total", "counter", "Records a sink delivered.");
  header("privsentry_sink_failures_total", "counter", "Delivery attempts that failed.");
  header("privsentry_sink_lost_total", "counter", "Records a sink lost (queue or spool full, rejected).");
  header("privsentry_sink_up", "gauge", "1 while a sink's last delivery succeeded.");
  outputs.for_each_sink([&](const OutputSpec& spec, const SinkCounters& c) {
    const std::string label = "{sink=\"" + prometheus_label(spec.name()) + "\"} ";
    out << "privsentry_sink_queue_depth" << label << c.queued.load() << "\n";
    out << "privsentry_sink_spool_bytes" << label << c.spool_bytes.load() << "\n";
    out << "privsentry_sink_spool_records" << label << c.spool_records.load() << "\n";
    out << "privsentry_sink_delivered_total" << label << c.delivered.load() << "\n";
    out << "privsentry_sink_failures_total" << label << c.failures.load() << "\n";
    out << "privsentry_sink_lost_total" << label << c.lost.load() << "\n";
    out << "privsentry_sink_up" << label << (c.up.load() ? 1 : 0) << "\n";
  });
  return out.str();
}

}  // namespace privsentry
