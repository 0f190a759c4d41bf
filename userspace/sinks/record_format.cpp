#include "sinks/record_format.hpp"

#include "sinks/cef_formatter.hpp"
#include "sinks/native_json_encoder.hpp"
#include "sinks/ocsf_formatter.hpp"

namespace privsentry {

std::string_view to_string(RecordFormat format) {
  switch (format) {
    case RecordFormat::kNative:
      return "native";
    case RecordFormat::kOcsf:
      return "ocsf";
    case RecordFormat::kCef:
      return "cef";
  }
  return "native";
}

std::optional<RecordFormat> record_format_from_string(std::string_view text) {
  for (const auto format : {RecordFormat::kNative, RecordFormat::kOcsf, RecordFormat::kCef}) {
    if (text == to_string(format)) {
      return format;
    }
  }
  return std::nullopt;
}

RecordFormatter::RecordFormatter(RecordFormat format, std::string product_version)
    : format_(format), product_version_(std::move(product_version)) {}

std::string RecordFormatter::format_line(const nlohmann::json& native) const {
  switch (format_) {
    case RecordFormat::kNative:
      return dump_safe(native);
    case RecordFormat::kOcsf:
      return dump_safe(to_ocsf(native, product_version_));
    case RecordFormat::kCef:
      return to_cef(native, product_version_);
  }
  return dump_safe(native);
}

nlohmann::json RecordFormatter::format_json(const nlohmann::json& native) const {
  switch (format_) {
    case RecordFormat::kNative:
      return native;
    case RecordFormat::kOcsf:
      return to_ocsf(native, product_version_);
    case RecordFormat::kCef:
      return {{"cef", to_cef(native, product_version_)}};
  }
  return native;
}

}  // namespace privsentry
