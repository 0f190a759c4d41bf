#include "report_table.hpp"

#include <cstdio>
#include <sstream>

namespace privsentry::bench {
namespace {

using nlohmann::json;

std::string fixed(double value, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

std::string signed_fixed(double value) { return (value >= 0 ? "+" : "") + fixed(value); }

std::string rate(double per_second) {
  if (per_second >= 1e6) {
    return fixed(per_second / 1e6, 2) + " M/s";
  }
  if (per_second >= 1e3) {
    return fixed(per_second / 1e3, 1) + " k/s";
  }
  return fixed(per_second, 0) + " /s";
}

const char* met(bool ok) { return ok ? "yes" : "**no**"; }

void kernel_section(std::ostringstream& out, const json& k, json& targets) {
  const auto& variants = k.at("variants");
  out << "### Kernel-path overhead\n\n"
      << "ns per operation, median of " << k.at("rounds") << " interleaved rounds (" << k.at("ioprio_repeats")
      << " runs of " << k.at("ioprio_ops") << " checks, or " << k.at("exec_ops")
      << " fork+exec, per variant and round); in brackets, the time added to no probes.\n\n| workload |";
  for (const auto& v : variants) {
    out << " " << v.get<std::string>() << " |";
  }
  out << " privsentry / floor | bpftrace / floor |\n|---|";
  for (std::size_t i = 0; i < variants.size() + 2; ++i) {
    out << "---|";
  }
  out << "\n";
  for (const auto& [workload, w] : k.at("workloads").items()) {
    out << "| " << workload << " |";
    for (const auto& v : variants) {
      const auto name = v.get<std::string>();
      out << " " << fixed(w["median_ns"][name].get<double>());
      if (name != "no probes") {
        out << " (" << signed_fixed(w["added_ns"][name].get<double>()) << ")";
      }
      out << " |";
    }
    // A fork+exec costs a thousand times a check: there the floor's own
    // cost is within the noise, so the cost shows as a share of the
    // operation instead of a ratio.
    const bool per_check = workload.find("capability check") != std::string::npos;
    const auto ratio = [&](const char* variant) {
      if (!w["added_ns"].contains(variant)) {
        return std::string("-");
      }
      if (!per_check) {
        return signed_fixed(w["added_ns"][variant].get<double>() / w["median_ns"]["no probes"].get<double>() * 100.0) +
               " % of the op";
      }
      return fixed(w["ratio_to_floor"][variant].get<double>(), 2) + "x";
    };
    out << " " << ratio("privsentry") << " | " << ratio("bpftrace one-liner") << " |\n";
    if (workload.find("capability check") != std::string::npos) {
      const double ours = w["ratio_to_floor"]["privsentry"];
      targets.push_back(
          {"added cost per check, " + workload.substr(workload.find(", ") + 2) + ": at most 1.5x the floor",
           fixed(ours, 2) + "x", ours <= 1.5});
      if (w["added_ns"].contains("bpftrace one-liner")) {
        const double theirs = w["added_ns"]["bpftrace one-liner"];
        const double mine = w["added_ns"]["privsentry"];
        targets.push_back({"added cost per check, " + workload.substr(workload.find(", ") + 2) + ": below bpftrace's",
                           fixed(mine) + " ns vs " + fixed(theirs) + " ns", mine < theirs});
      }
    }
  }
  out << "\nCapability checks per operation, counted by privsentry's own probe: host "
      << (k["checks_per_op"].contains("host") ? fixed(k["checks_per_op"]["host"].get<double>(), 3) : "?")
      << ", container "
      << (k["checks_per_op"].contains("container") ? fixed(k["checks_per_op"]["container"].get<double>(), 3) : "?")
      << ". privsentry's capability tier: " << k.value("privsentry_tier", "?") << ".\n";
  for (const auto& note : k.at("notes")) {
    out << "\n" << note.get<std::string>() << "\n";
  }
  out << "\n";
}

void pipeline_section(std::ostringstream& out, const json& p, json& targets) {
  out << "### Userspace pipeline (one core)\n\n| benchmark | per second | ns each |\n|---|---|---|\n";
  double slowest_pipeline = -1;
  for (const auto& b : p) {
    const auto name = b.at("name").get<std::string>();
    const auto label = b.value("label", "");
    out << "| " << name << (label.empty() ? "" : " (" + label + ")") << " | " << rate(b.at("items_per_second")) << " | "
        << fixed(b.at("ns_per_item")) << " |\n";
    if (name.rfind("BM_Pipeline", 0) == 0) {
      const double r = b.at("items_per_second");
      slowest_pipeline = slowest_pipeline < 0 ? r : std::min(slowest_pipeline, r);
    }
  }
  out << "\n";
  if (slowest_pipeline >= 0) {
    targets.push_back(
        {"pipeline: at least 1,000,000 events/s on one core", rate(slowest_pipeline), slowest_pipeline >= 1e6});
  }
}

void latency_section(std::ostringstream& out, const json& l, json& targets) {
  out << "### Detection latency\n\nFrom `docker run -d` returning to the record on stdout "
         "(privileged: the `privileged-container` finding; plain: `container-start`).\n\n"
         "| containers | count | p50 | p99 | max |\n|---|---|---|---|---|\n";
  for (const auto* kind : {"all", "privileged", "plain"}) {
    const auto& s = l.at(kind);
    out << "| " << kind << " | " << s.at("count") << " | " << fixed(s.at("p50_ms")) << " ms | " << fixed(s.at("p99_ms"))
        << " ms | " << fixed(s.at("max_ms")) << " ms |\n";
  }
  out << "\n"
      << l.at("before_docker_returned") << " records arrived before `docker run` returned (counted as 0 ms).\n\n";
  const double p99 = l.at("all").at("p99_ms");
  targets.push_back({"detection latency p99: at most 250 ms", fixed(p99) + " ms", p99 <= 250});
}

void footprint_section(std::ostringstream& out, const json& f, json& targets) {
  out << "### Footprint\n\n| sensor | RSS | peak RSS | CPU (of one core) |\n|---|---|---|---|\n";
  const auto row = [&](const std::string& name, const json& m) {
    out << "| " << name << " | " << fixed(m.at("rss_mib")) << " MiB | " << fixed(m.at("peak_rss_mib")) << " MiB | "
        << fixed(m.at("cpu_percent_of_a_core"), 2) << " % over " << m.at("window_s") << " s |\n";
  };
  row("idle", f.at("idle"));
  row(std::to_string(f.at("containers").at("count").get<int>()) + " containers running", f.at("containers"));
  out << "\n";
  const double rss = f.at("containers").at("rss_mib");
  const double cpu = f.at("idle").at("cpu_percent_of_a_core");
  targets.push_back(
      {"RSS with " + std::to_string(f.at("containers").at("count").get<int>()) + " containers: at most 32 MiB",
       fixed(rss) + " MiB", rss <= 32});
  targets.push_back({"idle CPU: under 0.5% of a core", fixed(cpu, 2) + " %", cpu < 0.5});
}

void storm_section(std::ostringstream& out, const json& s, json& targets) {
  out << "### Event storm\n\nContainers fork and exec, as fast as they can, a static program that makes one "
         "capability check and exits.\n\n"
         "| sensor | ring buffer | containers | operations | records/s | lost | exec records + lost = execs done |\n"
         "|---|---|---|---|---|---|---|\n";
  for (const auto* phase : {"running", "stalled"}) {
    const auto& p = s.at(phase);
    out << "| " << (p.at("sensor_stalled").get<bool>() ? "stopped (SIGSTOP) for the storm" : "running") << " | "
        << p.at("ringbuf_mib") << " MiB | " << p.at("containers") << " | " << fixed(p.at("operations"), 0) << " | "
        << rate(p.at("records_per_second")) << " | " << fixed(p.at("lost_all_probes"), 0) << " | "
        << fixed(p.at("exec_emitted_plus_lost"), 0) << " = " << fixed(p.at("container_execs_expected"), 0) << " ("
        << (p.at("exec_accounting_exact").get<bool>() ? "exact" : "**off**") << ") |\n";
  }
  const auto& running = s.at("running");
  const auto& stalled = s.at("stalled");
  out << "\nWith the sensor running, the records it decoded equal what the kernel emitted ("
      << fixed(running.at("records_decoded"), 0) << " of " << fixed(running.at("emitted_all_probes"), 0) << ").";
  // What the stalled run got through is what the ring held.
  const double held = stalled.at("emitted_all_probes");
  const double storm_rate = running.at("records_per_second");
  if (held > 0 && storm_rate > 0) {
    out << " Stopped, the sensor lost nothing until its 1 MiB ring was full: it held " << fixed(held, 0)
        << " records, so the default 4 MiB ring rides out a stall of about " << fixed(4 * held / storm_rate, 1)
        << " s at this storm's rate. Running, the sensor only falls behind above its pipeline's rate (above).";
  }
  out << "\n\n";
  targets.push_back({"no loss at the storm rate this machine makes",
                     fixed(running.at("lost_all_probes"), 0) + " lost at " + rate(running.at("records_per_second")),
                     running.at("lost_all_probes").get<double>() == 0});
  targets.push_back(
      {"above it, loss counted exactly",
       fixed(stalled.at("lost_all_probes"), 0) + " lost; accounting " +
           (stalled.at("exec_accounting_exact").get<bool>() ? "exact" : "off"),
       stalled.at("exec_accounting_exact").get<bool>() && stalled.at("lost_all_probes").get<double>() > 0});
}

}  // namespace

std::string ReportTable::markdown() const {
  std::ostringstream out;
  json targets = json::array();
  const auto& env = results_.at("environment");
  out << "Measured " << env.value("date", "?") << " on " << env.value("cpus", 0) << " CPUs, kernel "
      << env.value("kernel", "?") << ", by `" << env.value("command", "bench/run.sh") << "`.\n\n";
  if (results_.contains("kernel")) {
    kernel_section(out, results_["kernel"], targets);
  }
  if (results_.contains("pipeline")) {
    pipeline_section(out, results_["pipeline"], targets);
  }
  if (results_.contains("latency")) {
    latency_section(out, results_["latency"], targets);
  }
  if (results_.contains("footprint")) {
    footprint_section(out, results_["footprint"], targets);
  }
  if (results_.contains("storm")) {
    storm_section(out, results_["storm"], targets);
  }
  out << "### Targets\n\n| target | measured | met |\n|---|---|---|\n";
  for (const auto& t : targets) {
    out << "| " << t[0].get<std::string>() << " | " << t[1].get<std::string>() << " | " << met(t[2].get<bool>())
        << " |\n";
  }
  return out.str();
}

}  // namespace privsentry::bench
