#pragma once

#include <string>
#include <vector>

#include "privsentry/sink.hpp"
#include "sinks/native_json_encoder.hpp"

namespace privsentry::test {

// Keeps every record, and its native JSON, for assertions.
class CapturingSink final : public Sink {
 public:
  void write(const OutputRecord& record) override {
    records.push_back(record);
    json.push_back(encoder.encode(record));
  }
  void flush() override {}

  [[nodiscard]] std::vector<nlohmann::json> of_kind(const std::string& kind) const {
    std::vector<nlohmann::json> out;
    for (const auto& j : json) {
      if (j.at("kind") == kind) {
        out.push_back(j);
      }
    }
    return out;
  }
  [[nodiscard]] std::vector<std::string> rules() const {
    std::vector<std::string> out;
    for (const auto& j : of_kind("finding")) {
      out.push_back(j.at("rule").get<std::string>());
    }
    return out;
  }

  NativeJsonEncoder encoder{"test-host"};
  std::vector<OutputRecord> records;
  std::vector<nlohmann::json> json;
};

}  // namespace privsentry::test
