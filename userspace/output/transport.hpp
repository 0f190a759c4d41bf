#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace privsentry {

struct DeliveryResult {
  bool ok = false;
  std::string error;  // why not, for the log
  // ok, but the receiver refused this many records for good (a mapping
  // error in Elasticsearch, say): they are lost and reported as such.
  std::size_t rejected = 0;
  // The sink can never work again (stdout closed): the sensor stops.
  bool fatal = false;
};

// Moves a batch of native records to one receiver, in its format and framing.
// Called from the sink's own thread only.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual DeliveryResult deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) = 0;
  // SIGHUP: reopen files, drop connections.
  virtual void reopen() {}
};

}  // namespace privsentry
