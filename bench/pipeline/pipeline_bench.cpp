// The userspace pipeline on one core, without the kernel: generated ring
// buffer records through decoding, container state, rules, de-duplication
// and the NDJSON sink (to /dev/null); and the SIEM formats of a finding.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "fakes/capturing_sink.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/raw_records.hpp"
#include "fakes/recording_metadata.hpp"
#include "fakes/recording_registry.hpp"
#include "fakes/scripted_device_inspector.hpp"
#include "pipeline/sensor.hpp"
#include "sinks/native_json_encoder.hpp"
#include "sinks/ndjson_sink.hpp"
#include "sinks/record_format.hpp"
#include "sinks/syslog_formatter.hpp"

namespace privsentry {
namespace {

using namespace privsentry::test;

HostFacts host_facts() {
  HostFacts f;
  f.hostname = "bench-host";
  f.cap_last_cap = 40;
  f.bounding = CapabilitySet(kHostBounding);
  f.mntns = 4026531832;
  f.pidns = 4026531836;
  return f;
}

std::string container_id(int i) {
  char buf[65];
  std::snprintf(buf, sizeof(buf), "%064x", i + 1);
  return buf;
}

TaskSpec task_in(int container, std::uint32_t pid, const std::string& comm) {
  TaskSpec spec;
  spec.pid = pid;
  spec.ppid = 10000 + static_cast<std::uint32_t>(container);
  spec.mntns = 4026540000 + static_cast<std::uint32_t>(container);
  spec.pidns = 4026550000 + static_cast<std::uint32_t>(container);
  spec.cgroup_id = 5000 + static_cast<std::uint64_t>(container);
  spec.comm = comm;
  return spec;
}

// Containers already running (every fifth privileged), and then the records
// their processes make: a fork, an exec, a capability check and an exit per
// process, round-robin over the containers.
struct Stream {
  std::vector<std::vector<std::byte>> start;
  std::vector<std::vector<std::byte>> steady;
};

Stream make_stream(int containers, int processes) {
  Stream s;
  for (int c = 0; c < containers; ++c) {
    const auto bounding = c % 5 == 0 ? kPrivilegedBounding : kDockerDefault;
    s.start.push_back(
        cgroup_record(PS_EVENT_CGROUP_MKDIR, 5000 + static_cast<std::uint64_t>(c), "/docker/" + container_id(c)));
    s.start.push_back(
        exec_record(task_in(c, 10000 + static_cast<std::uint32_t>(c), "sh"), bounding, bounding, "/bin/sh"));
  }
  for (int p = 0; p < processes; ++p) {
    const int c = p % containers;
    const auto bounding = c % 5 == 0 ? kPrivilegedBounding : kDockerDefault;
    const auto pid = 100000 + static_cast<std::uint32_t>(p);
    s.steady.push_back(fork_record(task_in(c, pid, "sh"), bounding, bounding));
    s.steady.push_back(exec_record(task_in(c, pid, "ls"), bounding, bounding, "/bin/ls"));
    s.steady.push_back(capability_record(task_in(c, pid, "ls"), 2, true));
    s.steady.push_back(exit_record(task_in(c, pid, "ls")));
  }
  return s;
}

struct NullFile {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

void BM_Pipeline(benchmark::State& state) {
  const int containers = static_cast<int>(state.range(0));
  const auto stream = make_stream(containers, 4096);
  std::unique_ptr<std::FILE, NullFile> null(std::fopen("/dev/null", "w"));
  NdjsonSink sink(null.get(), "null", NativeJsonEncoder("bench-host"));
  RecordingRegistry registry;
  RecordingMetadata metadata;
  ScriptedDeviceInspector devices;
  devices.verdict = restricted_v1();
  FakeClock clock;
  Sensor sensor(host_facts(), 0, registry, &metadata, devices, sink, clock, SensorOptions{});
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, "20.10"});
  for (const auto& record : stream.start) {
    sensor.handle_record(record);
  }
  for (int c = 0; c < containers; ++c) {
    DockerContainerInfo info;
    info.id = container_id(c);
    info.name = "bench-" + std::to_string(c);
    info.image = "busybox";
    info.privileged = c % 5 == 0;
    sensor.handle(DockerUpdate{DockerUpdate::Kind::kInspected, info.id, info, {}});
  }
  std::size_t next = 0;
  for (auto _ : state) {
    sensor.handle_record(stream.steady[next]);
    if (++next == stream.steady.size()) {
      next = 0;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["containers"] = containers;
}
BENCHMARK(BM_Pipeline)->Arg(10)->Arg(200)->Unit(benchmark::kNanosecond);

// A real finding, from the pipeline itself.
nlohmann::json a_finding() {
  CapturingSink sink;
  RecordingRegistry registry;
  RecordingMetadata metadata;
  ScriptedDeviceInspector devices;
  devices.verdict = unrestricted_v1();
  FakeClock clock;
  Sensor sensor(host_facts(), 0, registry, &metadata, devices, sink, clock, SensorOptions{});
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, "20.10"});
  const auto stream = make_stream(1, 1);
  for (const auto& record : stream.start) {
    sensor.handle_record(record);
  }
  DockerContainerInfo info;
  info.id = container_id(0);
  info.name = "bench-0";
  info.image = "busybox";
  info.privileged = true;
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kInspected, info.id, info, {}});
  return sink.of_kind("finding").at(0);
}

void BM_FormatFinding(benchmark::State& state) {
  const auto finding = a_finding();
  const auto format = static_cast<RecordFormat>(state.range(0));
  const RecordFormatter formatter(format, "bench");
  for (auto _ : state) {
    benchmark::DoNotOptimize(formatter.format_line(finding));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(to_string(format)));
}
BENCHMARK(BM_FormatFinding)
    ->Arg(static_cast<int>(RecordFormat::kNative))
    ->Arg(static_cast<int>(RecordFormat::kOcsf))
    ->Arg(static_cast<int>(RecordFormat::kCef));

void BM_SyslogFrameFinding(benchmark::State& state) {
  const auto finding = a_finding();
  const RecordFormatter formatter(RecordFormat::kOcsf, "bench");
  const SyslogFormatter syslog(4, 1234);
  for (auto _ : state) {
    benchmark::DoNotOptimize(syslog.frame(finding, formatter.format_line(finding)));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("RFC 5424 + OCSF");
}
BENCHMARK(BM_SyslogFrameFinding);

}  // namespace
}  // namespace privsentry

int main(int argc, char** argv) {
  // The sensor logs each finding; a benchmark of the pipeline is not one of
  // its logger.
  spdlog::set_level(spdlog::level::off);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
