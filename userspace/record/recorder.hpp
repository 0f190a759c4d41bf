#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "enrich/bundle_source.hpp"
#include "enrich/container_metadata_source.hpp"
#include "enrich/device_inspector.hpp"
#include "privsentry/clock.hpp"
#include "privsentry/kernel_event.hpp"
#include "privsentry/sink.hpp"
#include "record/record_writer.hpp"
#include "sinks/native_json_encoder.hpp"

namespace privsentry {

// run --record: what the event loop hands the pipeline, in the order it does,
// each entry stamped with the wall time.
class Recorder {
 public:
  Recorder(const std::filesystem::path& path, const nlohmann::json& header, const Clock& clock);

  void kernel(std::span<const std::byte> record);
  void docker(const DockerUpdate& update);
  void scan(const ScannedProcess& scanned);
  void device(const DeviceQuery& query, const DeviceVerdict& verdict);
  void bundle(const ContainerRef& ref, std::uint32_t pid, const std::optional<Expected<OciBundle>>& answer);
  void tick();
  void output(const nlohmann::json& native);
  void flush() { writer_.flush(); }
  // The closing block; returns the final hash, to keep apart from the file.
  std::string close(const nlohmann::json& totals) { return writer_.close(totals); }

 private:
  std::int64_t now_ns() const;

  RecordWriter writer_;
  const Clock& clock_;
};

// Answers device queries from the real inspector and records each answer.
class RecordingDeviceInspector final : public DeviceInspector {
 public:
  RecordingDeviceInspector(DeviceInspector& inner, Recorder& recorder) : inner_(inner), recorder_(recorder) {}
  DeviceVerdict inspect(const DeviceQuery& query) override;

 private:
  DeviceInspector& inner_;
  Recorder& recorder_;
};

// Finds bundles with the real source and records each answer.
class RecordingBundleSource final : public BundleSource {
 public:
  RecordingBundleSource(BundleSource& inner, Recorder& recorder) : inner_(inner), recorder_(recorder) {}
  std::optional<Expected<OciBundle>> find(const ContainerRef& ref, std::uint32_t pid) override;

 private:
  BundleSource& inner_;
  Recorder& recorder_;
};

// Passes every record on to the real sink and records what was decided.
class RecordingSink final : public Sink {
 public:
  RecordingSink(Sink& inner, Recorder& recorder, NativeJsonEncoder encoder)
      : inner_(inner), recorder_(recorder), encoder_(std::move(encoder)) {}
  void write(const OutputRecord& record) override;
  void flush() override { inner_.flush(); }

 private:
  Sink& inner_;
  Recorder& recorder_;
  NativeJsonEncoder encoder_;
};

}  // namespace privsentry
