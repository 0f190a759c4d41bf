#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace privsentry {

// One container as the live view shows it.
struct ContainerRow {
  std::string id;
  std::string name;
  std::string image;
  std::string runtime;
  std::optional<bool> docker_privileged;
  std::string docker_status;
  bool capabilities_full = false;
  int capabilities_held = 0;
  int capabilities_host = 0;
  std::string devices = "unknown";
  std::vector<std::string> used;
  std::vector<std::string> findings;
  std::string verdict = "clean";
  bool exited = false;
  std::uint64_t order = 0;  // when first seen, for sorting by age
  nlohmann::json state;     // the latest container-state message
};

struct EventLine {
  std::string time;  // HH:MM:SS
  std::string kind;  // finding, exec, capability, cgroup, start, exit, loss, docker
  std::string container_id;
  std::string container_name;
  std::string text;
  std::string severity;  // findings: high, critical, ...
};

enum class SortKey { kVerdict, kName, kImage, kFindings, kAge };

std::string_view to_string(SortKey key);

// The live view's state, built from the LiveFeed's messages only: the same
// whether the sensor runs in-process, behind a socket, or in a replay.
class LiveModel {
 public:
  explicit LiveModel(std::size_t history = 2000) : history_limit_(history) {}

  void apply(const nlohmann::json& message);

  struct Header {
    std::string host;
    std::string kernel;
    std::string tier;
    std::string docker = "unknown";
    std::uint64_t events_per_second = 0;
    std::uint64_t lost = 0;
    std::uint64_t findings = 0;
    std::string time;
    bool ended = false;
  };
  [[nodiscard]] const Header& header() const { return header_; }

  [[nodiscard]] std::vector<const ContainerRow*> rows(SortKey key, const std::string& filter, bool findings_only) const;
  [[nodiscard]] std::vector<const EventLine*> events(bool findings_only, const std::string& filter) const;
  [[nodiscard]] const ContainerRow* find(const std::string& id) const;
  // Every finding record raised for the container, oldest first.
  [[nodiscard]] std::vector<nlohmann::json> findings_for(const std::string& id) const;
  [[nodiscard]] std::vector<const EventLine*> timeline(const std::string& id) const;
  void clear_exited();

 private:
  void add_event(EventLine line);
  ContainerRow& row_for(const nlohmann::json& container);

  Header header_;
  std::map<std::string, ContainerRow> rows_;
  std::map<std::string, std::vector<nlohmann::json>> findings_;
  std::deque<EventLine> events_;
  std::size_t history_limit_;
  std::uint64_t next_order_ = 0;
};

}  // namespace privsentry
