#include "record/recorder.hpp"

#include "record/record_codec.hpp"

namespace privsentry {

Recorder::Recorder(const std::filesystem::path& path, const nlohmann::json& header, const Clock& clock)
    : writer_(path, header), clock_(clock) {}

std::int64_t Recorder::now_ns() const { return clock_.now().time_since_epoch().count(); }

void Recorder::kernel(std::span<const std::byte> record) { writer_.append(EntryKind::kKernel, now_ns(), record); }

void Recorder::docker(const DockerUpdate& update) {
  writer_.append(EntryKind::kDocker, now_ns(), dump_safe(docker_update_json(update)));
}

void Recorder::scan(const ScannedProcess& scanned) {
  writer_.append(EntryKind::kScan, now_ns(), dump_safe(scanned_process_json(scanned)));
}

void Recorder::device(const DeviceQuery& query, const DeviceVerdict& verdict) {
  writer_.append(EntryKind::kDevice, now_ns(), dump_safe(device_answer_json(query, verdict)));
}

void Recorder::bundle(const ContainerRef& ref, std::uint32_t pid, const std::optional<Expected<OciBundle>>& answer) {
  writer_.append(EntryKind::kBundle, now_ns(), dump_safe(bundle_answer_json(ref, pid, answer)));
}

void Recorder::tick() { writer_.append(EntryKind::kTick, now_ns(), std::string()); }

void Recorder::output(const nlohmann::json& native) { writer_.append(EntryKind::kOutput, now_ns(), dump_safe(native)); }

DeviceVerdict RecordingDeviceInspector::inspect(const DeviceQuery& query) {
  auto verdict = inner_.inspect(query);
  recorder_.device(query, verdict);
  return verdict;
}

std::optional<Expected<OciBundle>> RecordingBundleSource::find(const ContainerRef& ref, std::uint32_t pid) {
  auto answer = inner_.find(ref, pid);
  recorder_.bundle(ref, pid, answer);
  return answer;
}

void RecordingSink::write(const OutputRecord& record) {
  recorder_.output(encoder_.encode(record));
  inner_.write(record);
}

}  // namespace privsentry
