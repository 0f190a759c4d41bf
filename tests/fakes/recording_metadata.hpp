#pragma once

#include <string>
#include <vector>

#include "enrich/container_metadata_source.hpp"

namespace privsentry::test {

// Records inspect requests; the test answers them with DockerUpdates.
class RecordingMetadata final : public ContainerMetadataSource {
 public:
  void request_inspect(const std::string& id) override { requested.push_back(id); }
  std::vector<std::string> requested;
};

}  // namespace privsentry::test
