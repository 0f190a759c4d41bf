#include "ui/live_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "ui/live_view.hpp"

namespace privsentry {
namespace {

using nlohmann::json;

json state(const std::string& id, const std::string& name, const std::string& verdict, bool full, bool exited = false,
           std::vector<std::string> findings = {}) {
  return {{"kind", "container-state"},
          {"time", "2026-12-04T20:00:01.000000Z"},
          {"container", {{"id", id}, {"name", name}, {"image", "busybox"}, {"runtime", "docker"}}},
          {"exited", exited},
          {"posture",
           {{"verdict", verdict},
            {"docker", {{"status", "known"}, {"privileged", verdict == "privileged"}}},
            {"capabilities", {{"full", full}, {"held", full ? 37 : 14}, {"host", 40}}},
            {"devices", {{"state", full ? "unrestricted" : "restricted"}}}}},
          {"used", full ? std::vector<std::string>{"CAP_SYS_ADMIN"} : std::vector<std::string>{}},
          {"findings", findings},
          {"capabilities", {{"held", {"CAP_CHOWN"}}, {"missing", json::array()}}},
          {"processes", json::array({{{"pid", 7}, {"comm", "sleep"}}})}};
}

json finding(const std::string& id, const std::string& name, const std::string& rule, const std::string& severity) {
  return {{"kind", "finding"},    {"time", "2026-12-04T20:00:02.000000Z"},    {"rule", rule}, {"severity", severity},
          {"summary", "because"}, {"container", {{"id", id}, {"name", name}}}};
}

TEST(LiveModel, RowsSortFilterAndFindings) {
  LiveModel model;
  model.apply({{"kind", "sensor-start"}, {"host", "h"}, {"kernel", "6.18"}, {"capability_tier", "tracepoint"}});
  model.apply({{"kind", "docker-state"}, {"docker", {{"state", "connected"}}}});
  model.apply(state("aaaa", "plain", "clean", false));
  model.apply(state("bbbb", "web", "privileged", true, false, {"privileged-container"}));
  model.apply(state("cccc", "batch", "undeclared-privilege", true));
  model.apply(finding("bbbb", "web", "privileged-container", "high"));
  model.apply({{"kind", "stats"}, {"events_per_second", 12}, {"lost", 3}, {"findings", 1}});

  EXPECT_EQ(model.header().host, "h");
  EXPECT_EQ(model.header().docker, "connected");
  EXPECT_EQ(model.header().events_per_second, 12U);
  auto rows = model.rows(SortKey::kVerdict, "", false);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0]->name, "batch");
  EXPECT_EQ(rows[1]->name, "web");
  EXPECT_EQ(rows[2]->name, "plain");
  EXPECT_TRUE(rows[1]->capabilities_full);
  EXPECT_EQ(rows[1]->docker_privileged, true);
  EXPECT_EQ(rows[2]->capabilities_held, 14);

  EXPECT_EQ(model.rows(SortKey::kName, "", false)[0]->name, "batch");
  EXPECT_EQ(model.rows(SortKey::kVerdict, "we", false).size(), 1U);
  EXPECT_EQ(model.rows(SortKey::kVerdict, "", true).size(), 1U);
  EXPECT_EQ(model.findings_for("bbbb").size(), 1U);
  EXPECT_EQ(model.events(true, "").size(), 1U);
  EXPECT_EQ(model.timeline("bbbb").size(), 1U);
}

TEST(LiveModel, ExitedStayUntilClearedAndHistoryIsBounded) {
  LiveModel model(5);
  model.apply(state("aaaa", "gone", "privileged", true));
  model.apply({{"kind", "container-exit"}, {"container", {{"id", "aaaa"}}}, {"time", "2026-12-04T20:00:03Z"}});
  model.apply(state("bbbb", "alive", "clean", false));
  auto rows = model.rows(SortKey::kVerdict, "", false);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0]->name, "alive") << "running containers first";
  EXPECT_TRUE(rows[1]->exited);
  model.clear_exited();
  EXPECT_EQ(model.rows(SortKey::kVerdict, "", false).size(), 1U);
  for (int i = 0; i < 20; ++i) {
    model.apply(finding("bbbb", "alive", "rule" + std::to_string(i), "medium"));
  }
  EXPECT_EQ(model.events(false, "").size(), 5U);
  model.apply({{"kind", "end"}});
  EXPECT_TRUE(model.header().ended);
}

TEST(LiveView, EveryLineFitsAndNothingRawReachesTheScreen) {
  const std::string hostile = "\x1b[2J\x1b]0;pwned\x07name\r\nwith\ttabs\x9b" + std::string(300, 'x');
  LiveModel model;
  model.apply({{"kind", "sensor-start"}, {"host", hostile}, {"kernel", "6.18"}, {"capability_tier", "tracepoint"}});
  auto s = state("dddd", hostile, "undeclared-privilege", true);
  s["container"]["image"] = hostile;
  s["container"]["labels"] = {{hostile, hostile}, {"plain", "value"}};
  s["processes"] = json::array({{{"pid", 9}, {"comm", hostile}, {"filename", hostile}}});
  model.apply(s);
  model.apply({{"kind", "activity"},
               {"time", "2026-12-04T20:00:02Z"},
               {"event", "exec"},
               {"pid", 9},
               {"comm", hostile},
               {"detail", hostile},
               {"container", {{"id", "dddd"}, {"name", hostile}}}});
  model.apply(finding("dddd", hostile, "undeclared-privilege", "critical"));
  LiveView view(model, nullptr);
  for (const auto& [rows, cols] : std::vector<std::pair<int, int>>{{24, 80}, {40, 160}, {10, 40}}) {
    for (const int key : std::vector<int>{0, '\n', 0, '?'}) {
      if (key != 0) {
        view.handle_key(key);
      }
      const auto lines = view.render(rows, cols);
      ASSERT_EQ(lines.size(), static_cast<std::size_t>(rows));
      for (const auto& line : lines) {
        EXPECT_LE(line.size(), static_cast<std::size_t>(cols)) << line;
        for (const char c : line) {
          ASSERT_TRUE(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f)
              << "raw byte " << static_cast<int>(static_cast<unsigned char>(c)) << " in: " << line;
        }
      }
    }
    view.handle_key(27);  // back to the table
    view.handle_key(27);
  }
  // The table shows the escaped text, not nothing.
  LiveView fresh(model, nullptr);
  const auto lines = fresh.render(24, 120);
  EXPECT_NE(lines[2].find(" \\x1b[2J\\x1b]0;pwn~"), std::string::npos) << lines[2];  // escaped once, not twice
  // So does the detail pane, labels included.
  fresh.handle_key('\n');
  const auto detail = fresh.render(40, 160);
  EXPECT_TRUE(std::any_of(detail.begin(), detail.end(),
                          [](const std::string& line) { return line.find("labels (2)") != std::string::npos; }));
  EXPECT_TRUE(std::any_of(detail.begin(), detail.end(), [](const std::string& line) {
    return line.find("    \\x1b[2J\\x1b]0;pwned\\x07name") != std::string::npos;
  }));
}

}  // namespace
}  // namespace privsentry
