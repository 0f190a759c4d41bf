#include "util/text.hpp"

#include <algorithm>
#include <cstring>

namespace privsentry {

std::string escape_for_terminal(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\\') {
      out += "\\\\";
    } else if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0xfU]);
    }
  }
  return out;
}

std::string escape_for_terminal(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) {
    return escape_for_terminal(text);
  }
  return escape_for_terminal(text.substr(0, max_bytes)) + "...";
}

std::string from_c_field(const char* data, std::size_t size) {
  const auto* end = static_cast<const char*>(std::memchr(data, '\0', size));
  return std::string(data, end == nullptr ? size : static_cast<std::size_t>(end - data));
}

bool is_hex_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_full_container_id(std::string_view id) { return id.size() == 64 && is_hex_id(id); }

}  // namespace privsentry
