#include "sinks/json_fields.hpp"

#include "privsentry/clock.hpp"

namespace privsentry {

std::string field_string(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) {
    return {};
  }
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t field_int(const nlohmann::json& object, const char* key, std::int64_t fallback) {
  if (!object.is_object()) {
    return fallback;
  }
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

const nlohmann::json& field_object(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!object.is_object()) {
    return kEmpty;
  }
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : kEmpty;
}

std::int64_t record_time_ms(const nlohmann::json& native) {
  return parse_rfc3339_ms(field_string(native, "time")).value_or(0);
}

}  // namespace privsentry
