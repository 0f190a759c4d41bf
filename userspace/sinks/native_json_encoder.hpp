#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "privsentry/output_record.hpp"

namespace privsentry {

// privsentry's own JSON schema (README, "Output schema"): one object per
// record, with "kind", "time" and "host" always present.
class NativeJsonEncoder {
 public:
  explicit NativeJsonEncoder(std::string host);

  [[nodiscard]] nlohmann::json encode(const OutputRecord& record) const;

  // One line of NDJSON, without the newline. Pure ASCII: control characters
  // and everything beyond ASCII are \u-escaped, invalid UTF-8 from the kernel
  // or a container becomes U+FFFD, so no byte can forge a line or reach a
  // terminal raw.
  [[nodiscard]] std::string encode_line(const OutputRecord& record) const;

 private:
  std::string host_;
};

// Serialises with the same guarantees as encode_line.
std::string dump_safe(const nlohmann::json& value);

nlohmann::json container_json(const ContainerSnapshot& container);

}  // namespace privsentry
