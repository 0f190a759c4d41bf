#pragma once

#include <cstdio>
#include <string>

#include "output/transport.hpp"
#include "sinks/record_format.hpp"

namespace privsentry {

// One record per line to a stream the process was given (stdout). A closed
// stream is fatal: whoever started the sensor is no longer reading.
class StreamTransport final : public Transport {
 public:
  StreamTransport(std::FILE* stream, std::string name, RecordFormatter formatter);
  DeliveryResult deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) override;

 private:
  std::FILE* stream_;
  std::string name_;
  RecordFormatter formatter_;
};

}  // namespace privsentry
