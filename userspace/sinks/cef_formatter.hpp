#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace privsentry {

// ArcSight Common Event Format, as QRadar and ArcSight read it:
// CEF:0|privsentry|privsentry|<version>|<rule or kind>|<name>|<0-10>|<extension>
// Header fields escape '\' and '|'; extension values escape '\' and '=' and
// write newlines as \n; other control characters become '?' and invalid
// UTF-8 becomes U+FFFD, so no value can end the line or forge a field.
std::string to_cef(const nlohmann::json& native, const std::string& product_version);

std::string cef_escape_header(std::string_view value);
std::string cef_escape_value(std::string_view value);

}  // namespace privsentry
