#include "util/text.hpp"

#include <algorithm>
#include <cstdint>
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

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t min = 0;
    if (lead < 0x80) {
      out.push_back(text[i++]);
      continue;
    }
    if ((lead & 0xe0U) == 0xc0U) {
      length = 2;
      min = 0x80;
    } else if ((lead & 0xf0U) == 0xe0U) {
      length = 3;
      min = 0x800;
    } else if ((lead & 0xf8U) == 0xf0U) {
      length = 4;
      min = 0x10000;
    }
    bool valid = length != 0 && i + length <= text.size();
    std::uint32_t code = valid ? (lead & (0xffU >> (length + 1))) : 0;
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto cont = static_cast<unsigned char>(text[i + k]);
      valid = (cont & 0xc0U) == 0x80U;
      code = (code << 6U) | (cont & 0x3fU);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    valid = valid && code >= min && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

bool is_hex_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_full_container_id(std::string_view id) { return id.size() == 64 && is_hex_id(id); }

}  // namespace privsentry
