#pragma once

#include <string>
#include <string_view>

namespace privsentry {

// Every string a container controls (names, labels, process names, paths) is
// hostile until escaped for where it goes.

// For a terminal or a log line: printable ASCII stays, everything else
// (control characters, ANSI escapes, bytes >= 0x7f) becomes \xNN, and a
// backslash becomes \\, so the result is one line of plain text.
std::string escape_for_terminal(std::string_view text);

// Like escape_for_terminal, and cut to at most max_bytes of input, marked "…".
std::string escape_for_terminal(std::string_view text, std::size_t max_bytes);

// A C string field from the kernel: up to the first NUL, at most size bytes.
std::string from_c_field(const char* data, std::size_t size);

// Valid UTF-8 stays as it is; each invalid byte becomes U+FFFD.
std::string sanitize_utf8(std::string_view text);

// True for exactly 64 lowercase hex digits (Docker, containerd and CRI-O ids).
bool is_full_container_id(std::string_view id);

// True for 1..64 lowercase hex digits (a short id prefix).
bool is_hex_id(std::string_view id);

}  // namespace privsentry
