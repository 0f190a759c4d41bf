#include "ui/live_model.hpp"

#include <algorithm>

namespace privsentry {
namespace {

using nlohmann::json;

std::string str(const json& object, const char* key) {
  if (!object.is_object()) {
    return {};
  }
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string clock_time(const std::string& rfc3339) { return rfc3339.size() >= 19 ? rfc3339.substr(11, 8) : rfc3339; }

int verdict_rank(const std::string& verdict) {
  if (verdict == "undeclared-privilege") {
    return 0;
  }
  if (verdict == "privileged") {
    return 1;
  }
  if (verdict == "privileged-unconfirmed") {
    return 2;
  }
  if (verdict == "elevated") {
    return 3;
  }
  return 4;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

std::string_view to_string(SortKey key) {
  switch (key) {
    case SortKey::kVerdict:
      return "verdict";
    case SortKey::kName:
      return "name";
    case SortKey::kImage:
      return "image";
    case SortKey::kFindings:
      return "findings";
    case SortKey::kAge:
      return "age";
  }
  return "verdict";
}

ContainerRow& LiveModel::row_for(const json& container) {
  const auto id = str(container, "id");
  auto [it, inserted] = rows_.try_emplace(id);
  auto& row = it->second;
  if (inserted) {
    row.id = id;
    row.order = next_order_++;
  }
  if (const auto name = str(container, "name"); !name.empty()) {
    row.name = name;
  }
  if (const auto image = str(container, "image"); !image.empty()) {
    row.image = image;
  }
  if (const auto runtime = str(container, "runtime"); !runtime.empty()) {
    row.runtime = runtime;
  }
  return row;
}

void LiveModel::add_event(EventLine line) {
  events_.push_back(std::move(line));
  if (events_.size() > history_limit_) {
    events_.pop_front();
  }
}

void LiveModel::apply(const json& message) {
  if (!message.is_object()) {
    return;
  }
  const auto kind = str(message, "kind");
  if (!str(message, "time").empty()) {
    header_.time = str(message, "time");
  }
  if (kind == "sensor-start") {
    header_.host = str(message, "host");
    header_.kernel = str(message, "kernel");
    header_.tier = str(message, "capability_tier");
    if (str(message, "docker") == "disabled") {
      header_.docker = "off";
    }
  } else if (kind == "stats") {
    header_.events_per_second = message.value("events_per_second", std::uint64_t{0});
    header_.lost = message.value("lost", std::uint64_t{0});
    header_.findings = message.value("findings", std::uint64_t{0});
  } else if (kind == "docker-state") {
    header_.docker = str(message.value("docker", json::object()), "state");
    add_event({clock_time(str(message, "time")), "docker", "", "", "Docker " + header_.docker, ""});
  } else if (kind == "container-state") {
    auto& row = row_for(message.value("container", json::object()));
    row.state = message;
    const auto& posture = message.value("posture", json::object());
    row.verdict = str(posture, "verdict");
    const auto& docker = posture.value("docker", json::object());
    row.docker_status = str(docker, "status");
    row.docker_privileged = docker.contains("privileged") && docker["privileged"].is_boolean()
                                ? std::optional<bool>(docker["privileged"].get<bool>())
                                : std::nullopt;
    const auto& caps = posture.value("capabilities", json::object());
    row.capabilities_full = caps.value("full", false);
    row.capabilities_held = caps.value("held", 0);
    row.capabilities_host = caps.value("host", 0);
    row.devices = str(posture.value("devices", json::object()), "state");
    row.used = message.value("used", std::vector<std::string>{});
    row.findings = message.value("findings", std::vector<std::string>{});
    row.exited = row.exited || message.value("exited", false);
  } else if (kind == "container-start" || kind == "container-exit") {
    auto& row = row_for(message.value("container", json::object()));
    const bool start = kind == "container-start";
    if (!start) {
      row.exited = true;
    }
    add_event({clock_time(str(message, "time")), start ? "start" : "exit", row.id, row.name,
               start ? "started (" + str(message.value("posture", json::object()), "verdict") + ")" : "exited", ""});
  } else if (kind == "finding") {
    auto& row = row_for(message.value("container", json::object()));
    findings_[row.id].push_back(message);
    const auto rule = str(message, "rule");
    if (std::find(row.findings.begin(), row.findings.end(), rule) == row.findings.end()) {
      row.findings.push_back(rule);
    }
    add_event({clock_time(str(message, "time")), "finding", row.id, row.name, rule + ": " + str(message, "summary"),
               str(message, "severity")});
  } else if (kind == "activity") {
    const auto& container = message.value("container", json::object());
    auto& row = row_for(container);
    add_event({clock_time(str(message, "time")), str(message, "event"), row.id, row.name,
               str(message, "comm") + " [" + std::to_string(message.value("pid", 0)) + "] " + str(message, "detail"),
               ""});
  } else if (kind == "event-loss" || kind == "delivery-loss") {
    add_event({clock_time(str(message, "time")), "loss", "", "",
               kind + ": " + std::to_string(message.value("lost", std::uint64_t{0})) + " " +
                   (kind == "event-loss" ? str(message, "probe") : str(message, "sink")),
               "medium"});
  } else if (kind == "end" || kind == "sensor-stop") {
    header_.ended = true;
  }
}

std::vector<const ContainerRow*> LiveModel::rows(SortKey key, const std::string& filter, bool findings_only) const {
  std::vector<const ContainerRow*> out;
  for (const auto& [id, row] : rows_) {
    if (findings_only && row.findings.empty()) {
      continue;
    }
    if (!filter.empty() && !contains(row.id, filter) && !contains(row.name, filter) && !contains(row.image, filter) &&
        !contains(row.verdict, filter)) {
      continue;
    }
    out.push_back(&row);
  }
  std::stable_sort(out.begin(), out.end(), [key](const ContainerRow* a, const ContainerRow* b) {
    // Running containers above exited ones, whatever the key.
    if (a->exited != b->exited) {
      return !a->exited;
    }
    switch (key) {
      case SortKey::kVerdict:
        if (verdict_rank(a->verdict) != verdict_rank(b->verdict)) {
          return verdict_rank(a->verdict) < verdict_rank(b->verdict);
        }
        return a->order < b->order;
      case SortKey::kName:
        return a->name < b->name;
      case SortKey::kImage:
        return a->image < b->image;
      case SortKey::kFindings:
        return a->findings.size() > b->findings.size();
      case SortKey::kAge:
        return a->order > b->order;
    }
    return false;
  });
  return out;
}

std::vector<const EventLine*> LiveModel::events(bool findings_only, const std::string& filter) const {
  std::vector<const EventLine*> out;
  for (const auto& line : events_) {
    if (findings_only && line.kind != "finding") {
      continue;
    }
    if (!filter.empty() && !contains(line.text, filter) && !contains(line.container_id, filter) &&
        !contains(line.container_name, filter)) {
      continue;
    }
    out.push_back(&line);
  }
  return out;
}

const ContainerRow* LiveModel::find(const std::string& id) const {
  const auto it = rows_.find(id);
  return it == rows_.end() ? nullptr : &it->second;
}

std::vector<json> LiveModel::findings_for(const std::string& id) const {
  const auto it = findings_.find(id);
  return it == findings_.end() ? std::vector<json>() : it->second;
}

std::vector<const EventLine*> LiveModel::timeline(const std::string& id) const {
  std::vector<const EventLine*> out;
  for (const auto& line : events_) {
    if (line.container_id == id) {
      out.push_back(&line);
    }
  }
  return out;
}

void LiveModel::clear_exited() {
  for (auto it = rows_.begin(); it != rows_.end();) {
    if (it->second.exited) {
      findings_.erase(it->first);
      it = rows_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace privsentry
