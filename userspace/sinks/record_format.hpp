#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace privsentry {

// The schema a sink writes. Every format is made from the native record, the
// one the pipeline emits and the spool keeps.
enum class RecordFormat { kNative, kOcsf, kCef };

std::string_view to_string(RecordFormat format);
std::optional<RecordFormat> record_format_from_string(std::string_view text);

// Formats a native record as one line of text (JSON for native and OCSF, a
// CEF line for CEF), safe for any transport: no raw control characters.
class RecordFormatter {
 public:
  RecordFormatter(RecordFormat format, std::string product_version);

  [[nodiscard]] RecordFormat format() const { return format_; }
  [[nodiscard]] std::string format_line(const nlohmann::json& native) const;
  // The record as JSON, for transports that embed it in a JSON body (HEC,
  // Elasticsearch, webhooks). CEF records are wrapped as {"cef": "<line>"}.
  [[nodiscard]] nlohmann::json format_json(const nlohmann::json& native) const;

 private:
  RecordFormat format_;
  std::string product_version_;
};

}  // namespace privsentry
