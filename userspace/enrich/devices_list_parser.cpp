#include "enrich/devices_list_parser.hpp"

#include <algorithm>

namespace privsentry {
namespace {

bool valid_number_or_star(std::string_view s) {
  return s == "*" ||
         (!s.empty() && s.size() <= 10 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

bool valid_access(std::string_view s) {
  return !s.empty() && s.size() <= 3 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c == 'r' || c == 'w' || c == 'm'; });
}

}  // namespace

Expected<std::vector<DeviceRule>> parse_devices_list(std::string_view text) {
  std::vector<DeviceRule> rules;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) {
      continue;
    }
    // "<type> <major>:<minor> <access>"
    const auto space1 = line.find(' ');
    const auto space2 = space1 == std::string_view::npos ? space1 : line.find(' ', space1 + 1);
    const auto colon = space1 == std::string_view::npos ? space1 : line.find(':', space1 + 1);
    if (space1 != 1 || space2 == std::string_view::npos || colon == std::string_view::npos || colon > space2) {
      return Error{"devices.list line " + std::to_string(line_number) + " is not \"<type> <major>:<minor> <access>\""};
    }
    DeviceRule rule;
    rule.type = line[0];
    rule.major = std::string(line.substr(space1 + 1, colon - space1 - 1));
    rule.minor = std::string(line.substr(colon + 1, space2 - colon - 1));
    rule.access = std::string(line.substr(space2 + 1));
    if ((rule.type != 'a' && rule.type != 'b' && rule.type != 'c') || !valid_number_or_star(rule.major) ||
        !valid_number_or_star(rule.minor) || !valid_access(rule.access)) {
      return Error{"devices.list line " + std::to_string(line_number) + " has a bad type, number or access"};
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

bool allows_every_device(const std::vector<DeviceRule>& rules) {
  return std::any_of(rules.begin(), rules.end(), [](const DeviceRule& rule) {
    const auto& a = rule.access;
    return rule.type == 'a' && rule.major == "*" && rule.minor == "*" && a.find('r') != std::string::npos &&
           a.find('w') != std::string::npos && a.find('m') != std::string::npos;
  });
}

bool devices_list_allows(const std::vector<DeviceRule>& rules, char type, std::uint32_t major, std::uint32_t minor,
                         std::string_view access) {
  const auto number_matches = [](const std::string& pattern, std::uint32_t value) {
    return pattern == "*" || pattern == std::to_string(value);
  };
  return std::any_of(rules.begin(), rules.end(), [&](const DeviceRule& rule) {
    if (rule.type != 'a' && rule.type != type) {
      return false;
    }
    if (rule.type != 'a' && (!number_matches(rule.major, major) || !number_matches(rule.minor, minor))) {
      return false;
    }
    return std::all_of(access.begin(), access.end(),
                       [&](char wanted) { return rule.access.find(wanted) != std::string::npos; });
  });
}

}  // namespace privsentry
