#pragma once

#include <string>

#include "privsentry/docker_info.hpp"

namespace privsentry {

// What the container engine says, delivered to the event loop.
struct DockerUpdate {
  enum class Kind {
    kConnected,      // the event stream is up; message: engine version
    kDisconnected,   // the engine cannot be reached; message: why
    kInspected,      // info holds the container
    kNotFound,       // the engine does not know id
    kInspectFailed,  // message: why
    kDestroyed,      // the engine removed id
  };
  Kind kind = Kind::kDisconnected;
  std::string id;
  DockerContainerInfo info;
  std::string message;
};

// Asks the engine about containers; answers arrive as DockerUpdates.
class ContainerMetadataSource {
 public:
  virtual ~ContainerMetadataSource() = default;
  virtual void request_inspect(const std::string& id) = 0;
};

}  // namespace privsentry
