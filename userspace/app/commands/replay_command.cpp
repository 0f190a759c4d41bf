#include "app/commands/replay_command.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "pipeline/replay_driver.hpp"
#include "privsentry/clock.hpp"
#include "record/record_reader.hpp"
#include "sinks/native_json_encoder.hpp"
#include "sinks/ndjson_sink.hpp"
#include "sinks/time_window_sink.hpp"
#include "ui/live_command.hpp"
#include "util/text.hpp"

namespace privsentry {
namespace {

std::optional<WallTime> parse_time(const std::string& text, const char* flag, bool& ok) {
  if (text.empty()) {
    return std::nullopt;
  }
  const auto ns = parse_rfc3339_ns(text);
  if (!ns) {
    std::cerr << "privsentry replay: " << flag << " must be an RFC 3339 time in UTC, such as 2026-12-04T20:01:02Z\n";
    ok = false;
    return std::nullopt;
  }
  return WallTime(std::chrono::nanoseconds(*ns));
}

// --until is inclusive to the precision it is written in: "...:02Z" keeps
// all of second 2, and a record's own time (microseconds) keeps that record,
// though its clock had nanoseconds.
WallTime end_of(const std::string& text, WallTime start) {
  const auto dot = text.find('.');
  const auto digits = dot == std::string::npos ? 0 : std::min<std::size_t>(text.size() - 1 - dot - 1, 9);
  std::int64_t unit = 1;
  for (std::size_t i = digits; i < 9; ++i) {
    unit *= 10;
  }
  return start + std::chrono::nanoseconds(unit - 1);
}

int verify(const std::string& file) {
  const auto report = verify_record(file);
  if (report.whole) {
    std::cout << escape_for_terminal(file) << ": whole and untouched: " << report.blocks << " blocks, "
              << report.entries << " entries; last block SHA-256 " << report.last_hash << "\n";
    return 0;
  }
  std::cout << escape_for_terminal(file) << ": NOT whole or altered: " << escape_for_terminal(report.problem)
            << "\n  read before that: " << report.blocks << " blocks, " << report.entries << " entries\n";
  return 1;
}

// The decisions as they were made, not judged again.
int print_recorded(const std::string& file, std::optional<WallTime> from, std::optional<WallTime> until) {
  RecordReader reader(file);
  if (!reader.header()) {
    std::cerr << "privsentry replay: " << escape_for_terminal(reader.error()) << "\n";
    return 2;
  }
  while (auto entry = reader.next()) {
    if (entry->kind != EntryKind::kOutput) {
      continue;
    }
    const WallTime time{std::chrono::nanoseconds(entry->wall_ns)};
    if ((from && time < *from) || (until && time > *until)) {
      continue;
    }
    auto record = nlohmann::json::parse(entry->data, nullptr, false);
    if (!record.is_discarded()) {
      std::cout << dump_safe(record) << "\n";
    }
  }
  std::cout.flush();
  if (!reader.closed()) {
    std::cerr << "privsentry replay: stopped at " << escape_for_terminal(reader.error()) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int replay_command(const ReplayOptions& options) {
  if (options.verify) {
    return verify(options.file);
  }
  bool ok = true;
  const auto from = parse_time(options.from, "--from", ok);
  auto until = parse_time(options.until, "--until", ok);
  if (until) {
    until = end_of(options.until, *until);
  }
  if (!ok) {
    return 2;
  }
  if (options.speed < 0) {
    std::cerr << "privsentry replay: --speed must be 0 (as fast as possible) or more\n";
    return 2;
  }
  if (options.live) {
    return live_replay(options.file, options.speed, from, until);
  }
  if (options.as_recorded) {
    return print_recorded(options.file, from, until);
  }

  RecordReader probe(options.file);
  if (!probe.header()) {
    std::cerr << "privsentry replay: " << escape_for_terminal(probe.error()) << "\n";
    return 2;
  }
  NdjsonSink stdout_sink(stdout, "stdout", NativeJsonEncoder(probe.header()->value("host", std::string())));
  TimeWindowSink window(stdout_sink, from, until);
  ReplayDriver driver(options.file, window);
  std::int64_t previous = driver.position_ns();
  while (true) {
    if (options.speed > 0) {
      const auto next = driver.next_time_ns();
      if (next && *next > previous) {
        std::this_thread::sleep_for(
            std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(*next - previous) / options.speed)));
      }
    }
    if (!driver.step()) {
      break;
    }
    previous = driver.position_ns();
  }
  driver.sensor()->flush_pending();
  if (!driver.whole()) {
    std::cerr << "privsentry replay: stopped at " << escape_for_terminal(driver.error()) << " after "
              << driver.entries_fed() << " entries\n";
    return 1;
  }
  if (!driver.error().empty()) {
    std::cerr << "privsentry replay: " << escape_for_terminal(driver.error()) << "\n";
  }
  return 0;
}

}  // namespace privsentry
