#include "sinks/audit_report.hpp"

#include <gtest/gtest.h>

namespace privsentry {
namespace {

AuditReport sample_report() {
  AuditReport report;
  report.host = "h";
  report.time = WallTime(std::chrono::seconds(1'796'400'000));
  ContainerLifecycle container;
  container.container.id = std::string(64, 'a');
  container.container.name = "evil\x1b[2J\nname";
  container.container.image = "busybox";
  container.container.runtime = "docker";
  container.posture = {{"verdict", "privileged"},
                       {"docker", {{"privileged", true}}},
                       {"capabilities", {{"full", true}, {"held", 37}, {"host", 40}}},
                       {"devices", {{"state", "unrestricted"}}}};
  report.containers.push_back(container);
  Finding finding;
  finding.rule = "privileged-container";
  finding.severity = Severity::kHigh;
  finding.summary = "Docker declares container evil\x1b[2J\nname privileged";
  finding.container = container.container;
  report.findings.push_back(finding);
  return report;
}

TEST(AuditTable, RowsAreEscapedAndAligned) {
  const auto table = render_audit_table(sample_report());
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
  EXPECT_NE(table.find("evil\\x1b[2J\\x0an"), std::string::npos);
  EXPECT_NE(table.find("aaaaaaaaaaaa "), std::string::npos);
  EXPECT_NE(table.find("full"), std::string::npos);
  EXPECT_NE(table.find("privileged-container"), std::string::npos);
  EXPECT_NE(table.find("unrestricted"), std::string::npos);
  // Every line is a line: the hostile newline did not split a row.
  std::size_t rows_with_id = 0;
  std::size_t start = 0;
  while (start < table.size()) {
    const auto end = table.find('\n', start);
    const auto line = table.substr(start, end - start);
    rows_with_id += line.rfind("aaaaaaaaaaaa", 0) == 0 ? 1U : 0U;
    start = end + 1;
  }
  EXPECT_EQ(rows_with_id, 1U);
}

TEST(AuditTable, EmptyAndWarnings) {
  AuditReport report;
  report.host = "h";
  report.warnings = {"Docker could not be asked: refused"};
  const auto table = render_audit_table(report);
  EXPECT_NE(table.find("(no containers)"), std::string::npos);
  EXPECT_NE(table.find("No findings."), std::string::npos);
  EXPECT_NE(table.find("warning: Docker could not be asked"), std::string::npos);
  EXPECT_FALSE(report.has_high_or_critical());
}

TEST(AuditJson, OneDocument) {
  const auto report = sample_report();
  EXPECT_TRUE(report.has_high_or_critical());
  const auto doc = audit_json(report, NativeJsonEncoder("h"));
  EXPECT_EQ(doc["kind"], "audit");
  EXPECT_EQ(doc["complete"], true);
  EXPECT_EQ(doc["containers"].size(), 1U);
  EXPECT_EQ(doc["findings"][0]["rule"], "privileged-container");
  EXPECT_FALSE(doc["findings"][0].contains("host"));
  const auto line = dump_safe(doc);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace privsentry
