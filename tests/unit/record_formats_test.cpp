#include <gtest/gtest.h>

#include "sinks/cef_formatter.hpp"
#include "sinks/native_json_encoder.hpp"
#include "sinks/ocsf_formatter.hpp"
#include "sinks/record_format.hpp"
#include "sinks/syslog_formatter.hpp"
#include "support/fixtures.hpp"

namespace privsentry {
namespace {

using nlohmann::json;
using test::fixture;

json golden_finding() { return json::parse(fixture("golden/finding.ndjson")); }

const std::string kHostile =
    std::string("evil\n{\"kind\":\"finding\"}\r]=|\\ \x1b[2J") + std::string(1, '\0') + "\xff end";

json hostile_finding() {
  auto record = golden_finding();
  record["container"]["name"] = kHostile;
  record["container"]["labels"] = {{"k", kHostile}};
  record["summary"] = kHostile;
  record["title"] = kHostile;
  record["rule"] = kHostile;
  record["host"] = kHostile;
  record["evidence"]["capabilities"] = {
      {"process", {{"pid", 7}, {"comm", kHostile}, {"filename", "/bin/" + kHostile}}}};
  return record;
}

// What the OCSF 1.3 Detection Finding class and its objects require.
void expect_detection_finding(const json& ocsf) {
  for (const char* key :
       {"activity_id", "category_uid", "class_uid", "type_uid", "time", "severity_id", "metadata", "finding_info"}) {
    EXPECT_TRUE(ocsf.contains(key)) << key;
  }
  EXPECT_EQ(ocsf["class_uid"], 2004);
  EXPECT_EQ(ocsf["category_uid"], 2);
  EXPECT_EQ(ocsf["activity_id"], 1);
  EXPECT_EQ(ocsf["type_uid"], 200401);
  EXPECT_TRUE(ocsf["time"].is_number_integer());
  EXPECT_GT(ocsf["time"].get<std::int64_t>(), 1'700'000'000'000);
  EXPECT_TRUE(ocsf["severity_id"].is_number_integer());
  EXPECT_TRUE(ocsf["metadata"]["version"].is_string());
  EXPECT_TRUE(ocsf["metadata"]["product"]["vendor_name"].is_string());
  EXPECT_TRUE(ocsf["finding_info"]["uid"].is_string());
  EXPECT_FALSE(ocsf["finding_info"]["uid"].get<std::string>().empty());
  EXPECT_TRUE(ocsf["finding_info"]["title"].is_string());
  // The host and container profiles' objects are filled.
  EXPECT_TRUE(ocsf["device"]["type_id"].is_number_integer());
  EXPECT_TRUE(ocsf["device"]["hostname"].is_string());
  EXPECT_TRUE(ocsf["container"]["uid"].is_string());
  EXPECT_TRUE(ocsf["evidences"].is_array());
  EXPECT_FALSE(ocsf["evidences"].empty());
}

TEST(Ocsf, FindingIsADetectionFinding) {
  const auto ocsf = to_ocsf(golden_finding(), "0.1.0");
  expect_detection_finding(ocsf);
  EXPECT_EQ(ocsf["severity_id"], 4);  // high
  EXPECT_EQ(ocsf["severity"], "High");
  EXPECT_EQ(ocsf["metadata"]["uid"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(ocsf["finding_info"]["analytic"]["uid"], "privileged-container");
  EXPECT_EQ(ocsf["finding_info"]["attacks"][0]["technique"]["uid"], "T1611");
  EXPECT_EQ(ocsf["container"]["name"], "web");
  EXPECT_EQ(ocsf["container"]["image"]["name"], "busybox");
  EXPECT_EQ(ocsf["device"]["hostname"], "host-1");
  EXPECT_EQ(ocsf["time"], 1796400000123);
  EXPECT_EQ(ocsf["evidences"][0]["data"]["docker"]["privileged"], true);
}

TEST(Ocsf, OtherRecordsAreBaseEventsThatKeepTheRecord) {
  const json native = {
      {"kind", "delivery-loss"}, {"time", "2026-12-04T16:00:00.000000Z"}, {"host", "h"}, {"id", "x"}, {"lost", 3}};
  const auto ocsf = to_ocsf(native, "0.1.0");
  EXPECT_EQ(ocsf["class_uid"], 0);
  EXPECT_EQ(ocsf["severity_id"], 3);
  EXPECT_EQ(ocsf["unmapped"]["privsentry"]["lost"], 3);
  EXPECT_TRUE(ocsf.contains("metadata"));
}

TEST(Ocsf, HostileStringsStayData) {
  const RecordFormatter formatter(RecordFormat::kOcsf, "0.1.0");
  const auto line = formatter.format_line(hostile_finding());
  for (const char c : line) {
    ASSERT_TRUE(static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f);
  }
  const auto parsed = json::parse(line);
  expect_detection_finding(parsed);
  EXPECT_EQ(parsed["container"]["name"].get<std::string>().substr(0, 20), kHostile.substr(0, 20));
}

TEST(Cef, GoldenLine) {
  EXPECT_EQ(to_cef(golden_finding(), "0.1.0"),
            "CEF:0|privsentry|privsentry|0.1.0|privileged-container|Container runs in privileged mode|8|"
            "rt=1796400000123 dvchost=host-1 externalId=0123456789abcdef0123456789abcdef cat=finding "
            "msg=Docker declares container web privileged cs1Label=containerId "
            "cs1=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa cs2Label=containerName cs2=web "
            "cs3Label=containerImage cs3=busybox cs4Label=rule cs4=privileged-container cs5Label=containerRuntime "
            "cs5=docker cs6Label=mitreAttack cs6=T1611");
}

TEST(Formats, KubernetesNamesReachEveryFormatAsData) {
  auto record = golden_finding();
  record["container"]["kubernetes"] = {
      {"namespace", "pay ments=x"}, {"pod", "api|7\n"}, {"pod_uid", "0b7e"}, {"container", "api"}};
  record["container"]["pod_uid"] = "0b7e";
  const auto cef = to_cef(record, "0.1.0");
  EXPECT_NE(cef.find(R"(flexString1Label=k8sNamespace flexString1=pay ments\=x)"), std::string::npos) << cef;
  EXPECT_NE(cef.find(R"(flexString2Label=k8sPod flexString2=api|7\n)"), std::string::npos)
      << cef;  // a newline, escaped
  const auto ocsf = to_ocsf(record, "0.1.0");
  EXPECT_EQ(ocsf["container"]["orchestrator"], "Kubernetes");
  EXPECT_EQ(ocsf["container"]["pod_uuid"], "0b7e");
  EXPECT_EQ(ocsf["unmapped"]["privsentry"]["kubernetes"]["namespace"], "pay ments=x");
  // Without a pod, nothing of the kind is invented.
  EXPECT_EQ(to_cef(golden_finding(), "0.1.0").find("flexString"), std::string::npos);
  EXPECT_FALSE(to_ocsf(golden_finding(), "0.1.0")["container"].contains("orchestrator"));
}

TEST(Cef, EscapingCannotForgeFieldsOrLines) {
  EXPECT_EQ(cef_escape_header("a|b\\c\nd"), "a\\|b\\\\c d");
  EXPECT_EQ(cef_escape_value("a=b\\c\nd\re"), "a\\=b\\\\c\\nd\\re");
  EXPECT_EQ(cef_escape_value(std::string("x\x1b[2J") + std::string(1, '\0')), "x?[2J?");
  EXPECT_EQ(cef_escape_value("\xff"), "\xef\xbf\xbd");
  const auto line = to_cef(hostile_finding(), "0.1.0");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_EQ(line.find(std::string(1, '\0')), std::string::npos);
  // The header keeps its seven fields: nothing from the record shifted them.
  std::vector<std::string> fields(1);
  for (std::size_t i = 0; i < line.size() && fields.size() < 8; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      fields.back() += line.substr(i, 2);
      ++i;
    } else if (line[i] == '|') {
      fields.emplace_back();
    } else {
      fields.back().push_back(line[i]);
    }
  }
  ASSERT_EQ(fields.size(), 8U);
  EXPECT_EQ(fields[0], "CEF:0");
  EXPECT_EQ(fields[3], "0.1.0");
  EXPECT_EQ(fields[6], "8");
  // And no unescaped '=' appears inside a value: every key=value boundary is ours.
  const auto extension = line.substr(line.find("|8|") + 3);
  EXPECT_NE(extension.find("cs2=evil\\n{\"kind\":\"finding\"}\\r]\\=|\\\\"), std::string::npos) << extension;
}

TEST(Syslog, FrameFieldsAndStructuredData) {
  const SyslogFormatter syslog(16, 4242);
  const auto native = golden_finding();
  const auto frame = syslog.frame(native, "MSG");
  EXPECT_EQ(frame,
            "<131>1 2026-12-04T16:00:00.123456Z host-1 privsentry 4242 finding [privsentry@32473 "
            "id=\"0123456789abcdef0123456789abcdef\" kind=\"finding\" rule=\"privileged-container\" "
            "severity=\"high\" container_id=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
            "container_name=\"web\" image=\"busybox\" runtime=\"docker\"] MSG");
  EXPECT_EQ(syslog_severity(json{{"kind", "finding"}, {"severity", "critical"}}), 2);
  EXPECT_EQ(syslog_severity(json{{"kind", "container-start"}}), 6);
}

TEST(Syslog, HostileValuesCannotCloseTheElementOrTheFrame) {
  EXPECT_EQ(syslog_param_value("a\"b]c\\d"), "a\\\"b\\]c\\\\d");
  EXPECT_EQ(syslog_param_value("x\ny"), "x\\\\u000ay");
  const SyslogFormatter syslog(16, 1);
  const auto frame = syslog.frame(hostile_finding(), "MSG");
  EXPECT_EQ(frame.find('\n'), std::string::npos);
  EXPECT_EQ(frame.find('\r'), std::string::npos);
  EXPECT_EQ(frame.find('\x1b'), std::string::npos);
  // HOSTNAME is one token of printable ASCII: APP-NAME is still the third.
  const auto after_time = frame.substr(frame.find("Z ") + 2);
  const auto after_host = after_time.substr(after_time.find(' ') + 1);
  EXPECT_EQ(after_host.rfind("privsentry 1 finding [privsentry@32473", 0), 0U) << frame;
  // The SD element ends exactly once, at our "] ".
  std::size_t unescaped_brackets = 0;
  for (std::size_t i = frame.find('['); i < frame.size(); ++i) {
    if (frame[i] == '\\') {
      ++i;
    } else if (frame[i] == ']') {
      ++unescaped_brackets;
      EXPECT_EQ(frame.substr(i, 5), "] MSG");
    }
  }
  EXPECT_EQ(unescaped_brackets, 1U);
}

TEST(RecordFormatter, EachFormatAsJsonAndLine) {
  const auto native = golden_finding();
  EXPECT_EQ(RecordFormatter(RecordFormat::kNative, "v").format_json(native), native);
  EXPECT_EQ(RecordFormatter(RecordFormat::kOcsf, "v").format_json(native)["class_uid"], 2004);
  EXPECT_EQ(RecordFormatter(RecordFormat::kCef, "v").format_json(native)["cef"].get<std::string>().rfind("CEF:0|", 0),
            0U);
  EXPECT_EQ(record_format_from_string("cef"), RecordFormat::kCef);
  EXPECT_FALSE(record_format_from_string("leef"));
}

}  // namespace
}  // namespace privsentry
