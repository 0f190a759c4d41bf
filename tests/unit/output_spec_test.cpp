#include "output/output_spec.hpp"

#include <gtest/gtest.h>

namespace privsentry {
namespace {

TEST(OutputSpec, EveryForm) {
  auto spec = parse_output_uri("stdout");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->kind, OutputKind::kStdout);
  EXPECT_FALSE(spec->durable());

  spec = parse_output_uri("file:/var/log/privsentry.ndjson?max_mib=10&keep=3");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->kind, OutputKind::kFile);
  EXPECT_EQ(spec->path, "/var/log/privsentry.ndjson");
  EXPECT_EQ(spec->option("keep"), "3");
  EXPECT_EQ(parse_output_uri("file:///var/log/x")->path, "/var/log/x");

  spec = parse_output_uri("syslog+udp://siem.example:5514?format=cef&facility=local3");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->kind, OutputKind::kSyslogUdp);
  EXPECT_EQ(spec->host, "siem.example");
  EXPECT_EQ(spec->port, 5514);
  EXPECT_EQ(spec->format, RecordFormat::kCef);
  EXPECT_EQ(spec->option("facility"), "19");
  EXPECT_TRUE(spec->durable());

  EXPECT_EQ(parse_output_uri("syslog+tcp://10.0.0.5")->port, 514);
  spec = parse_output_uri("syslog+tls://[::1]:6514?ca=/etc/ca.pem&cert=/c.pem&key=/k.pem&server_name=siem");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->host, "::1");
  EXPECT_TRUE(spec->tls);
  EXPECT_EQ(spec->option("server_name"), "siem");

  spec = parse_output_uri("hec+https://splunk:8088?format=ocsf&batch=50");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->kind, OutputKind::kHec);
  EXPECT_EQ(spec->format, RecordFormat::kOcsf);

  spec = parse_output_uri("elastic+http://es:9200/privsentry-findings");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->path, "/privsentry-findings");
  EXPECT_FALSE(spec->tls);

  spec = parse_output_uri("webhook+https://hooks.example/api/alerts?timeout_ms=2000");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->port, 443);
  EXPECT_EQ(spec->path, "/api/alerts");
}

TEST(OutputSpec, MistakesAreNamed) {
  struct Case {
    const char* uri;
    const char* reason;
  };
  for (const auto& c :
       {Case{"syslog://x:514", "unknown form"}, Case{"file:relative.log", "absolute path"},
        Case{"syslog+udp://:514", "needs a host"}, Case{"syslog+tcp://host:99999", "port must be"},
        Case{"syslog+tcp://host:0", "port must be"}, Case{"elastic+https://es:9200", "names its index"},
        Case{"elastic+https://es:9200/a/b", "names its index"},
        Case{"hec+https://splunk:8088/services", "give no path"}, Case{"stdout?format=xml", "format must be"},
        Case{"syslog+udp://x?ca=/ca.pem", "unknown option \"ca\""}, Case{"stdout?token=secret", "unknown option"},
        Case{"syslog+tls://x?cert=/c.pem", "both cert and key"},
        Case{"syslog+udp://x?facility=local9", "facility must be"}, Case{"file:/x?keep=0", "keep must be"},
        Case{"hec+https://x?batch=0", "batch must be"}, Case{"webhook+https://x/?insecure=maybe", "insecure must be"},
        Case{"syslog+udp://[::1", "unclosed"}}) {
    const auto spec = parse_output_uri(c.uri);
    ASSERT_FALSE(spec) << c.uri;
    EXPECT_NE(spec.error().message.find(c.reason), std::string::npos) << c.uri << ": " << spec.error().message;
  }
}

TEST(OutputSpec, NamesAreStableDistinctAndSafe) {
  const auto a = parse_output_uri("syslog+tcp://siem:514")->name();
  EXPECT_EQ(a, parse_output_uri("syslog+tcp://siem:514")->name());
  EXPECT_NE(a, parse_output_uri("syslog+tcp://siem:514?format=cef")->name());
  const auto hostile = parse_output_uri("webhook+http://x/../../etc/passwd")->name();
  // One path component under the spool directory, whatever the URI holds.
  EXPECT_EQ(hostile.find('/'), std::string::npos) << hostile;
  EXPECT_EQ(hostile.rfind("webhook-", 0), 0U) << hostile;
}

}  // namespace
}  // namespace privsentry
