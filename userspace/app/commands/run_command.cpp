#include "app/commands/run_command.hpp"

#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "app/sensor_metrics.hpp"
#include "app/sensor_privileges.hpp"
#include "enrich/cgroup_device_inspector.hpp"
#include "enrich/docker_watcher.hpp"
#include "kernel/bpf_cgroup_registry.hpp"
#include "kernel/bpf_loader.hpp"
#include "kernel/device_program_broker.hpp"
#include "kernel/proc_scanner.hpp"
#include "kernel/ringbuf_source.hpp"
#include "metrics/metrics_server.hpp"
#include "output/output_fanout.hpp"
#include "output/sink_factory.hpp"
#include "pipeline/finding_ledger.hpp"
#include "pipeline/live_feed.hpp"
#include "pipeline/live_socket_server.hpp"
#include "pipeline/sensor.hpp"
#include "record/recorder.hpp"
#include "sinks/tee_sink.hpp"
#include "source/raw_record_writer.hpp"
#include "util/file.hpp"
#include "util/held_clock.hpp"

namespace privsentry {
namespace {

constexpr std::uint64_t kTickMs = 250;
// Records do not wake the sensor one by one (bpf/lib/common.bpf.h): it
// collects them this often, which bounds what batching adds to detection.
constexpr std::uint64_t kDrainMs = 20;
constexpr unsigned kCountersEveryTicks = 4;  // once a second

nlohmann::json counters_json(const ProbeCounters& counters) {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t i = 0; i < counters.size(); ++i) {
    auto& probe = out[std::string(probe_name(i))];
    for (const auto& [name, value] : counter_fields(counters[i])) {
      probe[std::string(name)] = value;
    }
  }
  return out;
}

// Lost records are reported as soon as they are counted: loss is never silent.
class LossReporter {
 public:
  void check(const ProbeCounters& counters, Sensor& sensor, const Clock& clock) {
    for (std::size_t i = 0; i < counters.size(); ++i) {
      if (counters[i].lost > reported_[i]) {
        const auto delta = counters[i].lost - reported_[i];
        reported_[i] = counters[i].lost;
        spdlog::error("ring buffer full: {} {} records lost ({} in all); raise --ringbuf-mib", delta, probe_name(i),
                      counters[i].lost);
        sensor.emit(SensorStatus{SensorStatus::Kind::kEventLoss,
                                 clock.now(),
                                 {{"probe", probe_name(i)}, {"lost", delta}, {"lost_total", counters[i].lost}},
                                 {}});
      }
    }
  }

 private:
  std::array<std::uint64_t, PS_PROBE_COUNT> reported_{};
};

UniqueFd make_signalfd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  if (pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) {
    throw std::runtime_error("blocking SIGINT and SIGTERM failed");
  }
  UniqueFd fd(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid()) {
    throw std::runtime_error("signalfd: " + errno_text(errno));
  }
  return fd;
}

UniqueFd make_timerfd(std::uint64_t period_ms) {
  UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!fd.valid()) {
    throw std::runtime_error("timerfd_create: " + errno_text(errno));
  }
  itimerspec spec{};
  spec.it_interval.tv_sec = static_cast<time_t>(period_ms / 1000);
  spec.it_interval.tv_nsec = static_cast<long>((period_ms % 1000) * 1'000'000);
  spec.it_value = spec.it_interval;
  if (::timerfd_settime(fd.get(), 0, &spec, nullptr) != 0) {
    throw std::runtime_error("timerfd_settime: " + errno_text(errno));
  }
  return fd;
}

void watch(int epoll_fd, int fd) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    throw std::runtime_error("epoll_ctl: " + errno_text(errno));
  }
}

void drain_fd(int fd) {
  std::uint64_t value = 0;
  [[maybe_unused]] const auto n = ::read(fd, &value, sizeof(value));
}

SinkSettings sink_settings(const RunOptions& options) {
  SinkSettings settings;
  settings.spool_dir = options.spool_dir;
  settings.spool_max_bytes = static_cast<std::uint64_t>(options.spool_max_mib) << 20U;
  settings.hec_token = options.hec_token;
  settings.tls.ca_file = options.tls_ca;
  settings.tls.cert_file = options.tls_cert;
  settings.tls.key_file = options.tls_key;
  settings.product_version = PRIVSENTRY_VERSION;
  return settings;
}

Expected<std::vector<OutputSpec>> output_specs(const RunOptions& options, bool stdout_by_default) {
  std::vector<OutputSpec> specs;
  const std::vector<std::string> uris =
      options.outputs.empty() && stdout_by_default ? std::vector<std::string>{"stdout"} : options.outputs;
  for (const auto& uri : uris) {
    auto spec = parse_output_uri(uri);
    if (!spec) {
      return spec.error();
    }
    specs.push_back(std::move(*spec));
  }
  return specs;
}

nlohmann::json record_header(const RunOptions& options, const HostContext& context, const BpfLoader& loader,
                             const Clock& clock) {
  return {{"host", context.facts.hostname},
          {"kernel", context.facts.kernel_release},
          {"sensor_version", PRIVSENTRY_VERSION},
          {"capability_tier", to_string(loader.tier())},
          {"started", format_rfc3339(clock.now())},
          {"host_facts",
           {{"hostname", context.facts.hostname},
            {"cap_last_cap", context.facts.cap_last_cap},
            {"bounding", context.facts.bounding.bits()},
            {"mntns", context.facts.mntns},
            {"pidns", context.facts.pidns}}},
          {"cgroup_mode", to_string(context.layout.mode)},
          {"tracked_hierarchy", context.tracked.name},
          {"tracked_hierarchy_id", context.tracked.hierarchy_id},
          {"docker", context.docker_socket.empty() ? std::string("disabled") : context.docker_socket},
          {"engine", options.common.engine},
          {"docker_grace_ms", options.docker_grace_ms},
          {"device_recheck_s", options.device_recheck_s}};
}

void emit_losses(OutputFanout& outputs, Sensor& sensor, const Clock& clock) {
  for (const auto& loss : outputs.take_losses()) {
    spdlog::error("sink {}: {} records lost: {}", loss.sink, loss.records, loss.reason);
    nlohmann::json details = {{"sink", loss.sink}, {"uri", loss.uri}, {"lost", loss.records}, {"reason", loss.reason}};
    if (loss.oldest_ms != 0) {
      details["oldest_lost"] = format_rfc3339(WallTime(std::chrono::milliseconds(loss.oldest_ms)));
      details["newest_lost"] = format_rfc3339(WallTime(std::chrono::milliseconds(loss.newest_ms)));
    }
    sensor.emit(SensorStatus{SensorStatus::Kind::kDeliveryLoss, clock.now(), details, {}});
  }
}

int run_loop(const RunOptions& initial, const ReloadOptions& reload, HostContext& context, const RunHooks& hooks) {
  RunOptions options = initial;
  LoaderConfig config;
  config.host_mntns = context.facts.mntns;
  config.host_pidns = context.facts.pidns;
  config.cgroup_v1_subsystem = context.tracked.v1_subsystem;
  config.ringbuf_bytes = options.ringbuf_mib << 20U;
  if (options.cap_tier != "auto") {
    config.forced_tier = capability_tier_from_string(options.cap_tier);
  }
  auto specs = output_specs(options, hooks.stdout_by_default);
  if (!specs) {
    spdlog::critical("{}", specs.error().message);
    return 2;
  }
  // Signals are blocked before any thread starts, so only the signalfd sees them.
  UniqueFd signal_fd = make_signalfd();
  // Reading a cgroup v2 device program needs CAP_SYS_ADMIN: a helper process
  // keeps it (and nothing else the sensor had), forked now, while the sensor
  // is single-threaded and before loading fills its heap (the helper would
  // keep a private copy of it). Without it such programs read as unknown.
  std::unique_ptr<DeviceProgramBroker> device_programs;
  nlohmann::json device_helper = "off: cgroup2 is not mounted";
  if (context.layout.unified() != nullptr) {
    const auto before = read_thread_privileges();
    auto broker = start_device_helper();
    if (broker) {
      device_programs = std::move(*broker);
      const CapabilitySet held = before ? device_helper_capabilities() & before->permitted : CapabilitySet{};
      device_helper = {{"pid", device_programs->pid()}, {"capabilities", held.names()}};
      spdlog::info("device-program helper: pid {}, keeps {}", device_programs->pid(),
                   join_capability_names(held, "none"));
    } else {
      device_helper = {{"error", broker.error().message}};
      spdlog::warn("cgroup v2 device programs cannot be evaluated: {}", broker.error().message);
    }
  }

  auto loaded = BpfLoader::load(config);
  if (!loaded) {
    spdlog::critical("{}", loaded.error().message);
    return 2;
  }
  BpfLoader& loader = **loaded;
  spdlog::info("probes attached; capability tier: {}", to_string(loader.tier()));

  const SystemClock system_clock;
  HeldClock clock(system_clock);
  // Containers already running: the probes are attached, so anything that
  // starts during the scan is in the ring buffer as well. The scan reads
  // every process's namespaces, the last thing that needs CAP_SYS_PTRACE.
  const ProcScanner scanner("/proc", context.facts, context.tracked);
  const auto scanned = scanner.scan(clock.boot_now_ns());
  // From here on the sensor reads what attackers control; it does so with
  // the capabilities it still needs and nothing else. No thread runs yet,
  // and every thread started below inherits the reduced credentials.
  auto privileges = drop_privileges(sensor_kept_capabilities());
  if (!privileges) {
    spdlog::critical("cannot drop privileges: {}", privileges.error().message);
    return 2;
  }
  spdlog::info("capabilities dropped; kept {}", join_capability_names(privileges->effective, "none"));
  auto workers = make_workers(*specs, sink_settings(options));
  if (!workers) {
    spdlog::critical("{}", workers.error().message);
    return 2;
  }
  BpfCgroupRegistry registry(loader.container_cgroups_fd(), loader.generations_fd());
  CgroupDeviceInspector cgroup_devices(context.layout, "/proc", device_programs.get());
  OutputFanout outputs(NativeJsonEncoder(context.facts.hostname), std::move(*workers));
  std::optional<Recorder> recorder;
  std::optional<RecordingDeviceInspector> recording_devices;
  std::optional<RecordingSink> recording_sink;
  if (!options.record_path.empty()) {
    recorder.emplace(options.record_path, record_header(options, context, loader, clock), clock);
    recording_devices.emplace(cgroup_devices, *recorder);
    recording_sink.emplace(outputs, *recorder, NativeJsonEncoder(context.facts.hostname));
    spdlog::info("recording to {}", options.record_path);
  }
  DeviceInspector& devices = recording_devices ? static_cast<DeviceInspector&>(*recording_devices) : cgroup_devices;
  Sink& recorded_or_outputs = recording_sink ? static_cast<Sink&>(*recording_sink) : outputs;
  // The live view and the --socket clients see what the sinks see.
  std::optional<LiveFeed> feed;
  std::optional<TeeSink> tee;
  std::unique_ptr<LiveSocketServer> socket_server;
  if (hooks.on_feed || !options.socket_path.empty()) {
    feed.emplace(context.facts, clock);
    tee.emplace(recorded_or_outputs, *feed);
    if (hooks.on_feed) {
      hooks.on_feed(*feed);
    }
    if (!options.socket_path.empty()) {
      auto server = LiveSocketServer::start(options.socket_path, *feed);
      if (!server) {
        spdlog::critical("{}", server.error().message);
        return 2;
      }
      socket_server = std::move(*server);
      spdlog::info("live feed at {}", options.socket_path);
    }
  }
  Sink& sink = tee ? static_cast<Sink&>(*tee) : recorded_or_outputs;
  NotifyingQueue<DockerUpdate> updates;
  std::optional<DockerWatcher> watcher;
  if (!context.docker_socket.empty()) {
    watcher.emplace(DockerClient(context.docker_socket, DockerClientOptions{}), updates, ReconnectPolicy{});
  }
  SensorOptions sensor_options;
  sensor_options.docker_grace = std::chrono::milliseconds(options.docker_grace_ms);
  sensor_options.device_recheck = std::chrono::milliseconds(1000ULL * options.device_recheck_s);
  sensor_options.docker_disabled_reason = "Docker enrichment is off (--no-docker)";
  sensor_options.engine_runtime = engine_runtime(options.common);
  Sensor sensor(context.facts, context.tracked.hierarchy_id, registry, watcher ? &*watcher : nullptr, devices, sink,
                clock, sensor_options);

  if (feed) {
    sensor.set_observer(&*feed);
  }
  OciBundleLocator bundles(bundle_roots(options.common), context.facts.bounding, "/proc");
  std::optional<RecordingBundleSource> recording_bundles;
  if (recorder) {
    recording_bundles.emplace(bundles, *recorder);
  }
  sensor.set_bundle_source(recording_bundles ? static_cast<BundleSource*>(&*recording_bundles) : &bundles);
  // Without its ledger the sensor still runs: sending a finding twice after
  // a restart is better than not watching the host.
  std::unique_ptr<FindingLedger> ledger;
  nlohmann::json ledger_state = "off";
  if (!options.state_dir.empty()) {
    auto opened = FindingLedger::open(options.state_dir);
    if (opened) {
      ledger = std::move(*opened);
      sensor.set_ledger(ledger.get());
      ledger_state = {{"path", ledger->path().string()}, {"remembered", ledger->size()}};
      spdlog::info("{}: {} delivered findings remembered", ledger->path().string(), ledger->size());
    } else {
      ledger_state = {{"error", opened.error().message}};
      spdlog::warn("findings are not remembered across restarts: {}", opened.error().message);
    }
  }
  SensorMetrics metrics;
  std::unique_ptr<MetricsServer> metrics_server;
  if (!options.metrics_listen.empty()) {
    auto started = MetricsServer::start(options.metrics_listen, [&] { return metrics.render(outputs); });
    if (!started) {
      spdlog::critical("{}", started.error().message);
      return 2;
    }
    metrics_server = std::move(*started);
    spdlog::info("metrics at http://{}/metrics", options.metrics_listen);
  }

  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& attempt : loader.attempts()) {
    attempts.push_back({{"tier", to_string(attempt.tier)}, {"loaded", attempt.loaded}, {"error", attempt.error}});
  }
  nlohmann::json sinks = nlohmann::json::array();
  for (const auto& spec : *specs) {
    sinks.push_back(spec.name());
  }
  sensor.emit(SensorStatus{
      SensorStatus::Kind::kStart,
      clock.now(),
      {{"version", PRIVSENTRY_VERSION},
       {"kernel", context.facts.kernel_release},
       {"capability_tier", to_string(loader.tier())},
       {"tier_attempts", attempts},
       {"cgroup", {{"mode", to_string(context.layout.mode)}, {"tracked_hierarchy", context.tracked.name}}},
       {"host_bounding", context.facts.bounding.hex()},
       {"docker", context.docker_socket.empty() ? nlohmann::json("disabled") : nlohmann::json(context.docker_socket)},
       {"sinks", sinks},
       {"delivered_findings", ledger_state},
       {"privileges",
        {{"capabilities", privileges->effective.names()},
         {"bounding", privileges->bounding.names()},
         {"no_new_privs", privileges->no_new_privs},
         {"device_helper", device_helper}}}},
      {}});

  for (const auto& process : scanned) {
    const auto held = clock.hold();
    if (recorder) {
      recorder->scan(process);
    }
    sensor.handle_scanned(process.cgroups, process.process);
  }
  spdlog::info("start-up scan: {} container processes", scanned.size());
  // Loading the probes (kernel BTF, every tier tried) and the scan are done:
  // hand their memory back instead of keeping it in the heap for good.
  ::malloc_trim(0);
  if (watcher) {
    watcher->start();
  }

  RingbufSource source(loader.ringbuf_fd());
  UniqueFd timer_fd = make_timerfd(kTickMs);
  UniqueFd collect_fd = make_timerfd(kDrainMs);
  UniqueFd epoll_fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_fd.valid()) {
    throw std::runtime_error("epoll_create1: " + errno_text(errno));
  }
  watch(epoll_fd.get(), source.fd());
  watch(epoll_fd.get(), updates.fd());
  watch(epoll_fd.get(), signal_fd.get());
  watch(epoll_fd.get(), timer_fd.get());
  watch(epoll_fd.get(), collect_fd.get());

  std::optional<RawRecordWriter> raw_records;
  if (!options.raw_record_path.empty()) {
    raw_records.emplace(options.raw_record_path);
  }
  const RecordHandler handler = [&](std::span<const std::byte> record) {
    const auto held = clock.hold();
    if (raw_records) {
      raw_records->write(record);
    }
    if (recorder) {
      recorder->kernel(record);
    }
    sensor.handle_record(record);
  };
  const auto handle_update = [&](const DockerUpdate& update) {
    const auto held = clock.hold();
    if (recorder) {
      recorder->docker(update);
    }
    sensor.handle(update);
  };
  LossReporter losses;
  unsigned ticks = 0;
  std::string stop_reason;
  int exit_code = 0;
  while (stop_reason.empty()) {
    std::array<epoll_event, 8> ready{};
    const int n = ::epoll_wait(epoll_fd.get(), ready.data(), static_cast<int>(ready.size()), -1);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw std::runtime_error("epoll_wait: " + errno_text(errno));
    }
    for (int i = 0; i < n; ++i) {
      const int fd = ready[static_cast<std::size_t>(i)].data.fd;
      if (fd == source.fd()) {
        source.consume(handler);
      } else if (fd == collect_fd.get()) {
        drain_fd(fd);
        source.consume(handler);
      } else if (fd == updates.fd()) {
        for (const auto& update : updates.drain()) {
          handle_update(update);
        }
      } else if (fd == timer_fd.get()) {
        drain_fd(fd);
        if (hooks.stop_requested && hooks.stop_requested()) {
          stop_reason = "the live view quit";
        }
        {
          const auto held = clock.hold();
          if (recorder) {
            recorder->tick();
          }
          sensor.tick();
        }
        if (++ticks % kCountersEveryTicks == 0) {
          if (recorder) {
            recorder->flush();
          }
          if (auto counters = loader.read_counters()) {
            losses.check(*counters, sensor, clock);
            metrics.publish(*counters, sensor, sensor.state().container_count());
          }
          emit_losses(outputs, sensor, clock);
          if (auto fatal = outputs.fatal_error()) {
            spdlog::critical("{}", *fatal);
            stop_reason = "a sink failed for good";
            exit_code = 2;
          }
        }
      } else if (fd == signal_fd.get()) {
        signalfd_siginfo info{};
        if (::read(fd, &info, sizeof(info)) != sizeof(info)) {
          continue;
        }
        if (info.ssi_signo != SIGHUP || hooks.hangup_stops) {
          stop_reason = info.ssi_signo == SIGINT ? "SIGINT" : info.ssi_signo == SIGHUP ? "SIGHUP" : "SIGTERM";
          continue;
        }
        // SIGHUP: reopen files and reload the configuration.
        auto reloaded = reload();
        if (!reloaded) {
          spdlog::error("SIGHUP: configuration not reloaded, keeping the running one: {}", reloaded.error().message);
          outputs.reopen();
          continue;
        }
        auto new_specs = output_specs(*reloaded, hooks.stdout_by_default);
        auto replaced = new_specs ? outputs.replace(*new_specs, sink_settings(*reloaded),
                                                    std::chrono::seconds(reloaded->flush_timeout_s))
                                  : Expected<bool>(new_specs.error());
        if (!replaced) {
          spdlog::error("SIGHUP: sinks not changed, keeping the running ones: {}", replaced.error().message);
          outputs.reopen();
          continue;
        }
        spdlog::set_level(spdlog::level::from_str(reloaded->common.log_level));
        options = *reloaded;
        spdlog::info("SIGHUP: configuration reloaded, files reopened ({} sinks)", new_specs->size());
      }
    }
  }

  // Whatever the kernel already produced is still judged before stopping.
  source.consume(handler);
  for (const auto& update : updates.drain()) {
    handle_update(update);
  }
  sensor.flush_pending();
  if (raw_records) {
    raw_records->flush();
  }
  if (watcher) {
    watcher->stop();
  }
  nlohmann::json stop = {{"reason", stop_reason},
                         {"stats",
                          {{"records", sensor.stats().records},
                           {"decode_errors", sensor.stats().decode_errors},
                           {"findings", sensor.stats().findings},
                           {"findings_already_delivered", sensor.stats().findings_already_delivered},
                           {"containers_started", sensor.stats().containers_started},
                           {"containers_exited", sensor.stats().containers_exited},
                           {"unattributed_events", sensor.state().unattributed()}}}};
  if (auto counters = loader.read_counters()) {
    losses.check(*counters, sensor, clock);
    stop["probes"] = counters_json(*counters);
  }
  emit_losses(outputs, sensor, clock);
  sensor.emit(SensorStatus{SensorStatus::Kind::kStop, clock.now(), stop, {}});
  if (feed) {
    feed->finish();
  }
  if (recorder) {
    const auto hash = recorder->close({{"ended", format_rfc3339(clock.now())}, {"reason", stop_reason}});
    spdlog::info("record {} closed; its last block's SHA-256 is {} (keep it apart, to check the file later)",
                 options.record_path, hash);
  }
  // Every queue is delivered, or spooled for the next start, before exit.
  outputs.stop(std::chrono::seconds(options.flush_timeout_s));
  for (const auto& loss : outputs.take_losses()) {
    spdlog::error("sink {}: {} records lost at exit: {}", loss.sink, loss.records, loss.reason);
  }
  spdlog::info("stopped on {}", stop_reason);
  return exit_code;
}

}  // namespace

int run_command(const RunOptions& options, const ReloadOptions& reload) {
  return run_sensor(options, reload, RunHooks{});
}

int run_sensor(const RunOptions& options, const ReloadOptions& reload, const RunHooks& hooks) {
  if (options.cap_tier != "auto" && !capability_tier_from_string(options.cap_tier)) {
    spdlog::critical("--cap-tier must be auto, tracepoint, fentry or kprobe");
    return 2;
  }
  auto context = load_host_context(options.common);
  if (!context) {
    spdlog::critical("{}", context.error().message);
    return 2;
  }
  if (!context->facts.sensor_in_host_pidns) {
    spdlog::critical(
        "privsentry must run in the host pid namespace (docker run --pid=host), or kernel pids will not "
        "match /proc");
    return 2;
  }
  try {
    return run_loop(options, reload, *context, hooks);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 2;
  }
}

}  // namespace privsentry
