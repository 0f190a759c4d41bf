#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "sinks/record_format.hpp"
#include "util/expected.hpp"

namespace privsentry {

enum class OutputKind { kStdout, kFile, kSyslogUdp, kSyslogTcp, kSyslogTls, kHec, kElastic, kWebhook };

std::string_view to_string(OutputKind kind);

// One --output URI, parsed and checked:
//   stdout | file:/path | syslog+udp|tcp|tls://host:port | hec+https://host:port
//   elastic+http(s)://host:port/index | webhook+http(s)://host:port/path
// with ?format=native|ocsf|cef and the options each kind takes (README).
struct OutputSpec {
  std::string uri;  // as given; secrets never go into URIs (tokens come from the config or the environment)
  OutputKind kind = OutputKind::kStdout;
  RecordFormat format = RecordFormat::kNative;
  std::string host;
  std::uint16_t port = 0;
  std::string path;  // file: the file; HTTP: the URL path
  bool tls = false;
  std::map<std::string, std::string> options;

  [[nodiscard]] std::string option(const std::string& key, const std::string& fallback = {}) const;
  // A name fit for a directory and a metric label: stable for the same URI.
  [[nodiscard]] std::string name() const;
  // Network sinks that can fail and therefore spool.
  [[nodiscard]] bool durable() const;
};

Expected<OutputSpec> parse_output_uri(std::string_view uri);

}  // namespace privsentry
