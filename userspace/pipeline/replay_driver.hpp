#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/sensor.hpp"
#include "record/record_reader.hpp"

namespace privsentry {

// Feeds a record file through the same Sensor the live loop uses: kernel
// records, Docker answers, start-up scans and ticks in their recorded order,
// with the recorded device verdicts and the recorded clock. The sensor's
// records go to the given sink; the recorded decisions are not used, so the
// rules judge again (a newer sensor judges old data by its rules).
class ReplayDriver {
 public:
  ReplayDriver(const std::filesystem::path& path, Sink& sink);
  // For a sink that needs the recorded host and clock (the live view's feed).
  using SinkFactory = std::function<Sink&(const HostFacts& facts, const Clock& clock)>;
  ReplayDriver(const std::filesystem::path& path, const SinkFactory& make_sink);
  ~ReplayDriver();
  ReplayDriver(const ReplayDriver&) = delete;
  ReplayDriver& operator=(const ReplayDriver&) = delete;

  // nullopt (see error()) if the file has no readable header.
  [[nodiscard]] const std::optional<nlohmann::json>& header() const { return reader_.header(); }
  // Feeds one entry; false at the end of what can be read.
  bool step();
  // Feeds entries up to and including wall time until_ns.
  void run_until(std::int64_t until_ns);
  // Wall time of the entry fed last (the recording's start before any).
  [[nodiscard]] std::int64_t position_ns() const;
  // The next entry's wall time, nullopt at the end.
  std::optional<std::int64_t> next_time_ns();
  [[nodiscard]] std::uint64_t entries_fed() const { return fed_; }
  // Why reading stopped early, empty for a whole file.
  [[nodiscard]] std::string error() const;
  [[nodiscard]] bool whole() const { return reader_.closed(); }
  [[nodiscard]] Sensor* sensor() { return sensor_.get(); }

 private:
  class ReplayClock;
  class ReplayDevices;
  class ReplayBundles;
  class Inert;

  std::optional<RecordEntry> take();
  std::optional<DeviceVerdict> next_device_verdict(const DeviceQuery& query);
  // The next entry of `kind` a little way ahead, taken out of the stream.
  std::optional<RecordEntry> take_answer(EntryKind kind);

  RecordReader reader_;
  std::deque<RecordEntry> ahead_;
  std::unique_ptr<ReplayClock> clock_;
  std::unique_ptr<ReplayDevices> devices_;
  std::unique_ptr<ReplayBundles> bundles_;
  std::unique_ptr<Inert> inert_;
  std::unique_ptr<Sensor> sensor_;
  std::int64_t position_ns_ = 0;
  std::uint64_t fed_ = 0;
  std::string entry_error_;
};

// The host facts a record file's header carries.
HostFacts host_facts_from_header(const nlohmann::json& header);

}  // namespace privsentry
