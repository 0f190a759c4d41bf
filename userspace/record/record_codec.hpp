#pragma once

#include <nlohmann/json.hpp>

#include "enrich/bundle_source.hpp"
#include "enrich/container_metadata_source.hpp"
#include "enrich/device_inspector.hpp"
#include "privsentry/kernel_event.hpp"
#include "util/expected.hpp"

namespace privsentry {

// The JSON forms of what a record file keeps besides kernel bytes. Reading
// back checks types: a record file is input like any other.
nlohmann::json docker_update_json(const DockerUpdate& update);
Expected<DockerUpdate> docker_update_from_json(const nlohmann::json& json);

nlohmann::json scanned_process_json(const ScannedProcess& scanned);
Expected<ScannedProcess> scanned_process_from_json(const nlohmann::json& json);

struct DeviceAnswer {
  DeviceQuery query;
  DeviceVerdict verdict;
};
nlohmann::json device_answer_json(const DeviceQuery& query, const DeviceVerdict& verdict);
Expected<DeviceAnswer> device_answer_from_json(const nlohmann::json& json);

// A bundle lookup: nullopt when no runtime knew the container.
struct BundleAnswer {
  ContainerRef ref;
  std::uint32_t pid = 0;
  std::optional<Expected<OciBundle>> bundle;
};
nlohmann::json bundle_answer_json(const ContainerRef& ref, std::uint32_t pid,
                                  const std::optional<Expected<OciBundle>>& bundle);
Expected<BundleAnswer> bundle_answer_from_json(const nlohmann::json& json);

}  // namespace privsentry
