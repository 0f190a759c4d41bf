#include "app/config_file.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <functional>
#include <map>
#include <set>

#include "kernel/capability_tier.hpp"
#include "output/output_spec.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

namespace privsentry {
namespace {

struct Context {
  const std::filesystem::path& path;
  Error error(const YAML::Node& node, const std::string& key, const std::string& why) const {
    return Error{path.string() + " line " + std::to_string(node.Mark().line + 1) + ": " + key + ": " + why};
  }
};

Expected<std::string> scalar(const Context& ctx, const std::string& key, const YAML::Node& node) {
  if (!node.IsScalar()) {
    return ctx.error(node, key, "expected a single value");
  }
  return node.as<std::string>();
}

Expected<bool> boolean(const Context& ctx, const std::string& key, const YAML::Node& node) {
  auto text = scalar(ctx, key, node);
  if (!text) {
    return text.error();
  }
  if (*text == "true" || *text == "yes" || *text == "on") {
    return true;
  }
  if (*text == "false" || *text == "no" || *text == "off") {
    return false;
  }
  return ctx.error(node, key, "expected true or false, not \"" + escape_for_terminal(*text, 40) + "\"");
}

Expected<unsigned long> number(const Context& ctx, const std::string& key, const YAML::Node& node, unsigned long min,
                               unsigned long max) {
  auto text = scalar(ctx, key, node);
  if (!text) {
    return text.error();
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long value = std::strtoul(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno != 0 || (*text)[0] == '-' || value < min || value > max) {
    return ctx.error(node, key,
                     "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", not \"" +
                         escape_for_terminal(*text, 40) + "\"");
  }
  return value;
}

Expected<bool> check_permissions(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error{path.string() + ": " + errno_text(errno)};
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error{path.string() + ": refused: group or others can write it (chmod go-w)"};
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return Error{path.string() + ": refused: owned by uid " + std::to_string(st.st_uid) +
                 ", neither root nor this user"};
  }
  return true;
}

}  // namespace

Expected<bool> load_config_file(const std::filesystem::path& path, ConfigValues& values) {
  auto permissions = check_permissions(path);
  if (!permissions) {
    return permissions.error();
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::ParserException& e) {
    return Error{path.string() + " line " + std::to_string(e.mark.line + 1) + ": not valid YAML: " + e.msg};
  } catch (const YAML::Exception& e) {
    return Error{path.string() + ": " + e.what()};
  }
  if (root.IsNull()) {
    return true;  // an empty file sets nothing
  }
  if (!root.IsMap()) {
    return Error{path.string() + ": expected a mapping of settings at the top"};
  }
  const Context ctx{path};
  auto& run = values.run;
  using Setter = std::function<Expected<bool>(const std::string&, const YAML::Node&)>;
  auto text_into = [&](std::string& target, std::function<std::optional<std::string>(const std::string&)> check = {}) {
    return [&target, check, &ctx](const std::string& key, const YAML::Node& node) -> Expected<bool> {
      auto text = scalar(ctx, key, node);
      if (!text) {
        return text.error();
      }
      if (check) {
        if (auto why = check(*text)) {
          return ctx.error(node, key, *why);
        }
      }
      target = *text;
      return true;
    };
  };
  auto number_into = [&ctx](auto& target, unsigned long min, unsigned long max) {
    return [&target, min, max, &ctx](const std::string& key, const YAML::Node& node) -> Expected<bool> {
      auto value = number(ctx, key, node, min, max);
      if (!value) {
        return value.error();
      }
      target = static_cast<std::remove_reference_t<decltype(target)>>(*value);
      return true;
    };
  };
  // A string or a list of strings.
  auto list_of = [&ctx](const std::string& key, const YAML::Node& node, const std::string& what,
                        const std::string& plural) -> Expected<std::vector<std::string>> {
    std::vector<std::string> items;
    if (node.IsScalar()) {
      items.push_back(node.as<std::string>());
    } else if (node.IsSequence()) {
      for (const auto& item : node) {
        if (!item.IsScalar()) {
          return ctx.error(item, key, "each entry is " + what);
        }
        items.push_back(item.as<std::string>());
      }
    } else {
      return ctx.error(node, key, "expected " + what + " or a list of " + plural);
    }
    return items;
  };
  auto texts_into = [&list_of](std::vector<std::string>& target) {
    return [&target, &list_of](const std::string& key, const YAML::Node& node) -> Expected<bool> {
      auto paths = list_of(key, node, "a path", "paths");
      if (!paths) {
        return paths.error();
      }
      target = std::move(*paths);
      return true;
    };
  };
  auto one_of = [](std::set<std::string> allowed) {
    return [allowed](const std::string& value) -> std::optional<std::string> {
      if (allowed.contains(value)) {
        return std::nullopt;
      }
      std::string list;
      for (const auto& a : allowed) {
        list += (list.empty() ? "" : ", ") + a;
      }
      return "expected one of " + list + ", not \"" + escape_for_terminal(value, 40) + "\"";
    };
  };

  const std::map<std::string, Setter> setters = {
      {"docker-host", text_into(run.common.docker_host)},
      {"no-docker",
       [&](const std::string& key, const YAML::Node& node) -> Expected<bool> {
         auto value = boolean(ctx, key, node);
         if (!value) {
           return value.error();
         }
         run.common.no_docker = *value;
         return true;
       }},
      {"hostname", text_into(run.common.hostname)},
      {"engine", text_into(run.common.engine, one_of({"docker", "podman"}))},
      {"cgroup-hierarchy", text_into(run.common.cgroup_hierarchy)},
      {"log-level",
       text_into(run.common.log_level, one_of({"trace", "debug", "info", "warn", "error", "critical", "off"}))},
      {"cap-tier", text_into(run.cap_tier, one_of({"auto", "tracepoint", "fentry", "kprobe"}))},
      {"ringbuf-mib",
       [&](const std::string& key, const YAML::Node& node) -> Expected<bool> {
         auto value = number(ctx, key, node, 1, 256);
         if (!value) {
           return value.error();
         }
         if ((*value & (*value - 1)) != 0) {
           return ctx.error(node, key, "must be a power of two");
         }
         run.ringbuf_mib = *value;
         return true;
       }},
      {"docker-grace-ms", number_into(run.docker_grace_ms, 0, 600000)},
      {"device-recheck-s", number_into(run.device_recheck_s, 1, 3600)},
      {"raw-record", text_into(run.raw_record_path)},
      {"record", text_into(run.record_path)},
      {"output",
       [&](const std::string& key, const YAML::Node& node) -> Expected<bool> {
         auto listed = list_of(key, node, "a URI", "URIs");
         if (!listed) {
           return listed.error();
         }
         auto& uris = *listed;
         for (std::size_t i = 0; i < uris.size(); ++i) {
           if (auto spec = parse_output_uri(uris[i]); !spec) {
             return ctx.error(node.IsSequence() ? node[i] : node, key, spec.error().message);
           }
         }
         run.outputs = std::move(uris);
         return true;
       }},
      {"containerd-state", texts_into(run.common.containerd_state)},
      {"containers-storage", texts_into(run.common.containers_storage)},
      {"spool-dir", text_into(run.spool_dir)},
      {"state-dir", text_into(run.state_dir)},
      {"spool-max-mib", number_into(run.spool_max_mib, 1, 1U << 20U)},
      {"hec-token", text_into(run.hec_token)},
      {"tls-ca", text_into(run.tls_ca)},
      {"tls-cert", text_into(run.tls_cert)},
      {"tls-key", text_into(run.tls_key)},
      {"metrics-listen", text_into(run.metrics_listen)},
      {"flush-timeout-s", number_into(run.flush_timeout_s, 0, 3600)},
      {"format", text_into(values.audit_format, one_of({"table", "json"}))},
  };

  for (const auto& item : root) {
    const auto key = item.first.IsScalar() ? item.first.as<std::string>() : std::string("?");
    const auto setter = setters.find(key);
    if (setter == setters.end()) {
      return Error{path.string() + " line " + std::to_string(item.first.Mark().line + 1) + ": unknown key \"" +
                   escape_for_terminal(key, 60) + "\""};
    }
    auto applied = setter->second(key, item.second);
    if (!applied) {
      return applied.error();
    }
  }
  return true;
}

}  // namespace privsentry
