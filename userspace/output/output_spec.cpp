#include "output/output_spec.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <set>

#include "util/text.hpp"

namespace privsentry {
namespace {

struct Scheme {
  std::string_view text;
  OutputKind kind;
  bool tls;
  std::uint16_t default_port;
};

constexpr std::array<Scheme, 11> kSchemes = {{
    {"syslog+udp", OutputKind::kSyslogUdp, false, 514},
    {"syslog+tcp", OutputKind::kSyslogTcp, false, 514},
    {"syslog+tls", OutputKind::kSyslogTls, true, 6514},
    {"hec+https", OutputKind::kHec, true, 8088},
    {"hec+http", OutputKind::kHec, false, 8088},
    {"elastic+https", OutputKind::kElastic, true, 9200},
    {"elastic+http", OutputKind::kElastic, false, 9200},
    {"webhook+https", OutputKind::kWebhook, true, 443},
    {"webhook+http", OutputKind::kWebhook, false, 80},
    {"stdout", OutputKind::kStdout, false, 0},
    {"file", OutputKind::kFile, false, 0},
}};

std::set<std::string> allowed_options(OutputKind kind, bool tls) {
  std::set<std::string> keys{"format"};
  switch (kind) {
    case OutputKind::kStdout:
      break;
    case OutputKind::kFile:
      keys.insert({"max_mib", "keep"});
      break;
    case OutputKind::kSyslogUdp:
    case OutputKind::kSyslogTcp:
    case OutputKind::kSyslogTls:
      keys.insert("facility");
      break;
    case OutputKind::kHec:
    case OutputKind::kElastic:
    case OutputKind::kWebhook:
      keys.insert({"batch", "timeout_ms"});
      break;
  }
  if (tls) {
    keys.insert({"ca", "cert", "key", "server_name", "insecure"});
  }
  return keys;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      unsigned value = 0;
      const auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && ptr == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

Error bad(std::string_view uri, const std::string& why) {
  return Error{"--output \"" + escape_for_terminal(uri, 200) + "\": " + why};
}

bool valid_unsigned(const std::string& text, unsigned long min, unsigned long max) {
  unsigned long value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() && value >= min && value <= max;
}

}  // namespace

std::string_view to_string(OutputKind kind) {
  switch (kind) {
    case OutputKind::kStdout:
      return "stdout";
    case OutputKind::kFile:
      return "file";
    case OutputKind::kSyslogUdp:
      return "syslog+udp";
    case OutputKind::kSyslogTcp:
      return "syslog+tcp";
    case OutputKind::kSyslogTls:
      return "syslog+tls";
    case OutputKind::kHec:
      return "hec";
    case OutputKind::kElastic:
      return "elastic";
    case OutputKind::kWebhook:
      return "webhook";
  }
  return "stdout";
}

std::string OutputSpec::option(const std::string& key, const std::string& fallback) const {
  const auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

bool OutputSpec::durable() const { return kind != OutputKind::kStdout && kind != OutputKind::kFile; }

std::string OutputSpec::name() const {
  std::string readable = std::string(to_string(kind));
  auto add = [&](const std::string& part) {
    if (!part.empty()) {
      readable += "-";
      for (const char c : part) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.';
        readable.push_back(keep ? c : '_');
      }
    }
  };
  add(host);
  add(port == 0 ? std::string() : std::to_string(port));
  add(path.size() > 40 ? path.substr(path.size() - 40) : path);
  // The whole URI decides identity: two sinks that differ only in options
  // must not share a spool.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : uri) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  char suffix[20];
  std::snprintf(suffix, sizeof(suffix), "-%08llx", static_cast<unsigned long long>(hash & 0xffffffffULL));
  return readable + suffix;
}

Expected<OutputSpec> parse_output_uri(std::string_view uri) {
  OutputSpec spec;
  spec.uri = std::string(uri);
  std::string_view rest = uri;
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }

  const Scheme* scheme = nullptr;
  for (const auto& candidate : kSchemes) {
    if (rest == candidate.text && candidate.kind == OutputKind::kStdout) {
      scheme = &candidate;
      rest = {};
      break;
    }
    const std::string network_prefix = std::string(candidate.text) + "://";
    const std::string file_prefix = std::string(candidate.text) + ":";
    if (candidate.kind == OutputKind::kFile && rest.substr(0, file_prefix.size()) == file_prefix) {
      scheme = &candidate;
      rest.remove_prefix(file_prefix.size());
      break;
    }
    if (candidate.kind != OutputKind::kFile && candidate.kind != OutputKind::kStdout &&
        rest.substr(0, network_prefix.size()) == network_prefix) {
      scheme = &candidate;
      rest.remove_prefix(network_prefix.size());
      break;
    }
  }
  if (scheme == nullptr) {
    return bad(uri,
               "unknown form; use stdout, file:/path, syslog+udp|tcp|tls://host:port, hec+https://host:port, "
               "elastic+http(s)://host:port/index or webhook+http(s)://host:port/path");
  }
  spec.kind = scheme->kind;
  spec.tls = scheme->tls;

  if (spec.kind == OutputKind::kFile) {
    // file:/path or file:///path
    std::string path(rest.substr(0, 2) == "//" ? rest.substr(2) : rest);
    if (path.empty() || path.front() != '/') {
      return bad(uri, "a file sink needs an absolute path, file:/var/log/privsentry.ndjson");
    }
    spec.path = path;
  } else if (spec.kind != OutputKind::kStdout) {
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    spec.path = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
      const auto close = authority.find(']');
      if (close == std::string_view::npos) {
        return bad(uri, "unclosed [ in an IPv6 address");
      }
      spec.host = std::string(authority.substr(1, close - 1));
      if (close + 1 < authority.size()) {
        if (authority[close + 1] != ':') {
          return bad(uri, "expected :port after ]");
        }
        port_text = authority.substr(close + 2);
      }
    } else {
      const auto colon = authority.rfind(':');
      spec.host = std::string(authority.substr(0, colon));
      if (colon != std::string_view::npos) {
        port_text = authority.substr(colon + 1);
      }
    }
    if (spec.host.empty() || std::any_of(spec.host.begin(), spec.host.end(), [](char c) {
          return static_cast<unsigned char>(c) <= 0x20 || c == '@' || c == '/' || c == '?';
        })) {
      return bad(uri, "needs a host name or address");
    }
    spec.port = scheme->default_port;
    if (!port_text.empty()) {
      unsigned port = 0;
      const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535) {
        return bad(uri, "the port must be 1..65535");
      }
      spec.port = static_cast<std::uint16_t>(port);
    }
    if (spec.kind == OutputKind::kElastic) {
      const std::string index = spec.path.empty() ? std::string() : spec.path.substr(1);
      if (index.empty() || index.find('/') != std::string::npos) {
        return bad(uri, "an Elasticsearch sink names its index: elastic+https://host:9200/privsentry");
      }
    }
    if (spec.kind == OutputKind::kHec && !spec.path.empty() && spec.path != "/") {
      return bad(uri, "a HEC sink posts to /services/collector/event; give no path");
    }
    if (spec.kind == OutputKind::kWebhook && spec.path.empty()) {
      spec.path = "/";
    }
    if ((spec.kind == OutputKind::kSyslogUdp || spec.kind == OutputKind::kSyslogTcp ||
         spec.kind == OutputKind::kSyslogTls) &&
        !spec.path.empty() && spec.path != "/") {
      return bad(uri, "a syslog sink takes no path");
    }
  }

  const auto allowed = allowed_options(spec.kind, spec.tls);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const auto eq = pair.find('=');
    const auto key = percent_decode(pair.substr(0, eq));
    const auto value = eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    if (!allowed.contains(key)) {
      std::string list;
      for (const auto& k : allowed) {
        list += (list.empty() ? "" : ", ") + k;
      }
      return bad(uri, "unknown option \"" + escape_for_terminal(key, 40) + "\" for " +
                          std::string(to_string(spec.kind)) + " (takes " + list + ")");
    }
    spec.options[key] = value;
  }

  if (const auto format = spec.options.find("format"); format != spec.options.end()) {
    const auto parsed = record_format_from_string(format->second);
    if (!parsed) {
      return bad(uri, "format must be native, ocsf or cef");
    }
    spec.format = *parsed;
  }
  if (spec.options.contains("max_mib") && !valid_unsigned(spec.options["max_mib"], 1, 1U << 20U)) {
    return bad(uri, "max_mib must be a whole number of MiB, 1 or more");
  }
  if (spec.options.contains("keep") && !valid_unsigned(spec.options["keep"], 1, 1000)) {
    return bad(uri, "keep must be 1..1000");
  }
  if (spec.options.contains("batch") && !valid_unsigned(spec.options["batch"], 1, 10000)) {
    return bad(uri, "batch must be 1..10000");
  }
  if (spec.options.contains("timeout_ms") && !valid_unsigned(spec.options["timeout_ms"], 100, 600000)) {
    return bad(uri, "timeout_ms must be 100..600000");
  }
  if (spec.options.contains("insecure") && spec.options["insecure"] != "true" && spec.options["insecure"] != "false") {
    return bad(uri, "insecure must be true or false");
  }
  if (spec.options.contains("facility")) {
    static const std::map<std::string, int> kNames = {{"kern", 0},    {"user", 1},      {"daemon", 3},  {"auth", 4},
                                                      {"syslog", 5},  {"authpriv", 10}, {"local0", 16}, {"local1", 17},
                                                      {"local2", 18}, {"local3", 19},   {"local4", 20}, {"local5", 21},
                                                      {"local6", 22}, {"local7", 23}};
    const auto& value = spec.options["facility"];
    if (!kNames.contains(value) && !valid_unsigned(value, 0, 23)) {
      return bad(uri, "facility must be 0..23 or a name such as local0, auth, daemon");
    }
    if (kNames.contains(value)) {
      spec.options["facility"] = std::to_string(kNames.at(value));
    }
  }
  if ((spec.options.contains("cert") || spec.options.contains("key")) &&
      !(spec.options.contains("cert") && spec.options.contains("key"))) {
    return bad(uri, "a client certificate needs both cert and key");
  }
  return spec;
}

}  // namespace privsentry
