#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace privsentry {

// Typed reads of a native record's fields, tolerant of absent or mistyped
// values (a record read back from a spool is not trusted more than any other
// input).
std::string field_string(const nlohmann::json& object, const char* key);
std::int64_t field_int(const nlohmann::json& object, const char* key, std::int64_t fallback);
const nlohmann::json& field_object(const nlohmann::json& object, const char* key);
// The record's time in ms since the epoch, 0 if unreadable.
std::int64_t record_time_ms(const nlohmann::json& native);

}  // namespace privsentry
