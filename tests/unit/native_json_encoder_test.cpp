#include "sinks/native_json_encoder.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "sinks/ndjson_sink.hpp"
#include "support/fixtures.hpp"

namespace privsentry {
namespace {

using test::fixture;

WallTime fixed_time() { return WallTime(std::chrono::seconds(1'796'400'000) + std::chrono::microseconds(123456)); }

Finding sample_finding() {
  Finding finding;
  finding.id = "0123456789abcdef0123456789abcdef";
  finding.rule = "privileged-container";
  finding.severity = Severity::kHigh;
  finding.title = "Container runs in privileged mode";
  finding.summary = "Docker declares container web privileged";
  finding.time = fixed_time();
  finding.container.id = std::string(64, 'a');
  finding.container.name = "web";
  finding.container.image = "busybox";
  finding.container.runtime = "docker";
  finding.container.cgroup = "/docker/" + std::string(64, 'a');
  finding.container.oci_runtime = "runc";
  finding.container.labels = {{"team", "payments"}};
  finding.evidence = {{"docker", {{"privileged", true}, {"status", "known"}}},
                      {"devices", {{"state", "unrestricted"}, {"rules", {"a *:* rwm"}}}}};
  return finding;
}

std::string trim(std::string text) {
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

TEST(NativeJson, FindingMatchesTheGoldenLine) {
  const NativeJsonEncoder encoder("host-1");
  EXPECT_EQ(encoder.encode_line(sample_finding()), trim(fixture("golden/finding.ndjson")));
}

TEST(NativeJson, LifecycleAndStatusRecords) {
  const NativeJsonEncoder encoder("host-1");
  ContainerLifecycle start;
  start.kind = ContainerLifecycle::Kind::kStart;
  start.time = fixed_time();
  start.container = sample_finding().container;
  start.container.name.reset();
  start.observed_by = "startup-scan";
  start.id = "00000000000000010000000000000002";
  start.posture = {{"verdict", "clean"}};
  EXPECT_EQ(encoder.encode_line(start), trim(fixture("golden/container_start.ndjson")));

  ContainerLifecycle exit = start;
  exit.kind = ContainerLifecycle::Kind::kExit;
  exit.capabilities_used = {"CAP_SYS_ADMIN"};
  exit.findings = {"privileged-container"};
  const auto exit_json = encoder.encode(exit);
  EXPECT_EQ(exit_json["kind"], "container-exit");
  EXPECT_EQ(exit_json["findings"][0], "privileged-container");
  EXPECT_FALSE(exit_json.contains("observed_by"));

  const SensorStatus loss{
      SensorStatus::Kind::kEventLoss, fixed_time(), {{"probe", "cap_capable"}, {"lost", 3}}, "feedfacefeedface"};
  const auto loss_json = encoder.encode(loss);
  EXPECT_EQ(loss_json["kind"], "event-loss");
  EXPECT_EQ(loss_json["lost"], 3);
  EXPECT_EQ(loss_json["host"], "host-1");
  EXPECT_EQ(loss_json["id"], "feedfacefeedface");
  // Details cannot overwrite the fixed fields.
  const SensorStatus forged{
      SensorStatus::Kind::kStart, fixed_time(), {{"kind", "finding"}, {"host", "x"}, {"id", "forged"}}, "real"};
  EXPECT_EQ(encoder.encode(forged)["kind"], "sensor-start");
  EXPECT_EQ(encoder.encode(forged)["host"], "host-1");
  EXPECT_EQ(encoder.encode(forged)["id"], "real");
}

TEST(NativeJson, HostileStringsStayOnOneAsciiLineAndRoundTrip) {
  const std::string hostile = std::string("evil\n{\"kind\":\"finding\"}\r\x1b[2J\x1b]0;owned\x07") +
                              std::string(1, '\0') + "\xff\xfe tab\t \xe2\x80\xae rtl \xc2\x9b csi";
  Finding finding = sample_finding();
  finding.container.name = hostile;
  finding.container.labels = {{hostile, hostile}};
  finding.summary = hostile;
  finding.evidence["capabilities"] = {{"process", {{"comm", hostile}}}};
  const NativeJsonEncoder encoder("host\n2");
  const std::string line = encoder.encode_line(finding);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  for (const char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    ASSERT_TRUE(byte >= 0x20 && byte < 0x7f) << "byte " << static_cast<int>(byte);
  }
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["kind"], "finding");
  EXPECT_EQ(parsed["host"], "host\n2");
  const auto name = parsed["container"]["name"].get<std::string>();
  // Valid text survives exactly; the invalid bytes become U+FFFD.
  EXPECT_EQ(name.substr(0, 39), hostile.substr(0, 39));
  EXPECT_NE(name.find("\xef\xbf\xbd"), std::string::npos);
  EXPECT_NE(name.find("\xe2\x80\xae rtl"), std::string::npos);
}

TEST(NdjsonSink, OneLinePerRecordAndWriteErrorsAreLoud) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* memory = open_memstream(&buffer, &size);
  ASSERT_NE(memory, nullptr);
  {
    NdjsonSink sink(memory, "memory", NativeJsonEncoder("h"));
    sink.write(sample_finding());
    sink.write(sample_finding());
  }
  std::fclose(memory);
  const std::string text(buffer, size);
  std::free(buffer);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);

  std::FILE* full = std::fopen("/dev/full", "w");
  ASSERT_NE(full, nullptr);
  NdjsonSink sink(full, "/dev/full", NativeJsonEncoder("h"));
  EXPECT_THROW(sink.write(sample_finding()), std::runtime_error);
  std::fclose(full);
}

}  // namespace
}  // namespace privsentry
