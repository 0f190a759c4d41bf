#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "enrich/oci_spec_parser.hpp"
#include "fakes/capturing_sink.hpp"
#include "pipeline/replay_driver.hpp"
#include "record/record_codec.hpp"
#include "record/record_format.hpp"
#include "record/record_reader.hpp"
#include "record/record_writer.hpp"
#include "sinks/time_window_sink.hpp"
#include "support/fixtures.hpp"

namespace privsentry {
namespace {

class RecordFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("record-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".psr");
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // A file of three data blocks (flushed by hand) and its closing block.
  std::string write_sample() {
    RecordWriter writer(path_, {{"host", "h"}, {"kernel", "6.18"}, {"sensor_version", "t"}});
    for (int block = 0; block < 3; ++block) {
      for (int i = 0; i < 10; ++i) {
        writer.append(EntryKind::kTick, 1000 + block * 10 + i, "entry-" + std::to_string(block * 10 + i));
      }
      writer.flush();
    }
    return writer.close({{"reason", "test"}});
  }
  std::string bytes() {
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  // A block is kBlockHeaderBytes of header, bytes 12..15 the payload length (little endian), then the payload.
  static std::size_t block_length(const std::string& data, std::size_t at) {
    std::size_t payload = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      payload |= static_cast<std::size_t>(static_cast<unsigned char>(data.at(at + 12 + i))) << (8U * i);
    }
    return kBlockHeaderBytes + payload;
  }
  void write_bytes(const std::string& data) { std::ofstream(path_, std::ios::binary | std::ios::trunc) << data; }

  std::filesystem::path path_;
};

TEST_F(RecordFileTest, RoundTripAndVerify) {
  const auto last_hash = write_sample();
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  RecordReader reader(path_);
  ASSERT_TRUE(reader.header());
  EXPECT_EQ((*reader.header())["host"], "h");
  EXPECT_EQ((*reader.header())["format"], "privsentry-record");
  int n = 0;
  while (auto entry = reader.next()) {
    EXPECT_EQ(entry->kind, EntryKind::kTick);
    EXPECT_EQ(entry->wall_ns, 1000 + n);
    EXPECT_EQ(entry->data, "entry-" + std::to_string(n));
    ++n;
  }
  EXPECT_EQ(n, 30);
  EXPECT_TRUE(reader.closed());
  EXPECT_EQ((*reader.closing())["reason"], "test");

  const auto report = verify_record(path_);
  EXPECT_TRUE(report.whole) << report.problem;
  EXPECT_EQ(report.blocks, 5U);
  EXPECT_EQ(report.entries, 30U);
  EXPECT_EQ(report.last_hash, last_hash);
}

TEST_F(RecordFileTest, AnEarlierRecordingIsNeverOverwritten) {
  const auto last_hash = write_sample();
  try {
    RecordWriter again(path_, {{"host", "h"}});
    FAIL() << "a second writer opened the same file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("never overwritten"), std::string::npos) << e.what();
  }
  const auto report = verify_record(path_);
  EXPECT_TRUE(report.whole) << report.problem;
  EXPECT_EQ(report.last_hash, last_hash);
}

TEST_F(RecordFileTest, AnAlteredByteIsFoundAndNamed) {
  write_sample();
  auto data = bytes();
  // A byte in the second data block's payload.
  std::size_t second_block = 0;
  std::size_t at = 0;
  for (int block = 0; block < 2; ++block) {
    at += block_length(data, at);
  }
  second_block = at;
  data[second_block + kBlockHeaderBytes + 3] = static_cast<char>(data[second_block + kBlockHeaderBytes + 3] ^ 0x01);
  write_bytes(data);
  const auto report = verify_record(path_);
  EXPECT_FALSE(report.whole);
  EXPECT_NE(report.problem.find("block 2"), std::string::npos) << report.problem;
  EXPECT_NE(report.problem.find("altered"), std::string::npos) << report.problem;
  EXPECT_EQ(report.entries, 10U);  // the first data block still reads
}

TEST_F(RecordFileTest, ACutFileIsFoundAndReadUpToTheCut) {
  write_sample();
  const auto data = bytes();
  write_bytes(data.substr(0, data.size() - 60));
  const auto report = verify_record(path_);
  EXPECT_FALSE(report.whole);
  EXPECT_NE(report.problem.find("cut short"), std::string::npos) << report.problem;
  EXPECT_EQ(report.entries, 30U);

  // Without its closing block at all.
  std::size_t at = 0;
  std::size_t end_of_data = 0;
  for (int block = 0; block < 4; ++block) {
    at += block_length(data, at);
    end_of_data = at;
  }
  write_bytes(data.substr(0, end_of_data));
  const auto no_close = verify_record(path_);
  EXPECT_FALSE(no_close.whole);
  EXPECT_NE(no_close.problem.find("without a closing block"), std::string::npos) << no_close.problem;
}

TEST_F(RecordFileTest, RemovedOrAddedBlocksAreFound) {
  write_sample();
  const auto data = bytes();
  std::vector<std::size_t> starts;
  std::size_t at = 0;
  while (at < data.size()) {
    starts.push_back(at);
    at += block_length(data, at);
  }
  ASSERT_EQ(starts.size(), 5U);
  // Block 2 cut out.
  write_bytes(data.substr(0, starts[2]) + data.substr(starts[3]));
  auto report = verify_record(path_);
  EXPECT_FALSE(report.whole);
  EXPECT_NE(report.problem.find("sequence number"), std::string::npos) << report.problem;
  // Bytes added after the end.
  write_bytes(data + "more");
  report = verify_record(path_);
  EXPECT_FALSE(report.whole);
  EXPECT_NE(report.problem.find("bytes after the closing block"), std::string::npos) << report.problem;
  // Not a record at all.
  write_bytes("hello");
  EXPECT_FALSE(RecordReader(path_).header());
}

TEST(RecordCodec, BundleAnswersRoundTripFoundMissingAndBroken) {
  auto bundle =
      parse_oci_spec(test::fixture("oci/containerd_cri_privileged.json"), *parse_capability_hex("000001fffeffffff"));
  ASSERT_TRUE(bundle);
  bundle->engine = "containerd";
  bundle->namespace_ = "k8s.io";
  bundle->id = "abc";
  ContainerRef ref;
  ref.runtime = ContainerRuntime::kCri;
  ref.id = "abc";
  auto back = bundle_answer_from_json(bundle_answer_json(ref, 42, Expected<OciBundle>(*bundle)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ref.runtime, ContainerRuntime::kCri);
  EXPECT_EQ(back->pid, 42U);
  ASSERT_TRUE(back->bundle && *back->bundle);
  const auto& got = back->bundle->value();
  EXPECT_EQ(got.privileged, bundle->privileged);
  EXPECT_EQ(got.bounding, bundle->bounding);
  EXPECT_EQ(got.device_rules, bundle->device_rules);
  EXPECT_EQ(got.host_devices, bundle->host_devices);
  EXPECT_EQ(got.kubernetes.pod_namespace, "kube-system");
  EXPECT_EQ(got.kubernetes.container_name, "node-agent");
  EXPECT_EQ(got.namespace_, "k8s.io");

  back = bundle_answer_from_json(bundle_answer_json(ref, 0, std::nullopt));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->bundle);
  back = bundle_answer_from_json(bundle_answer_json(ref, 0, Expected<OciBundle>(Error{"unreadable"})));
  ASSERT_TRUE(back && back->bundle);
  EXPECT_EQ(back->bundle->error().message, "unreadable");
  EXPECT_FALSE(bundle_answer_from_json(nlohmann::json::array()));
}

TEST(RecordedSessionReplay, TheRulesJudgeAgainAsTheyDidLive) {
  // A real run (privileged, --cap-add ALL and a plain container) recorded
  // with run --record, and what it printed live.
  const std::string file = std::string(PRIVSENTRY_FIXTURES) + "/records/session.psr";
  ASSERT_TRUE(verify_record(file).whole);
  test::CapturingSink sink;
  ReplayDriver driver(file, sink);
  ASSERT_TRUE(driver.header());
  sink.encoder = NativeJsonEncoder(driver.header()->value("host", std::string()));
  while (driver.step()) {
  }
  EXPECT_TRUE(driver.whole());
  driver.sensor()->flush_pending();
  // Findings are the same records, ids and times included; lifecycle
  // records the same but for their per-session ids.
  const auto decisions = [](const std::vector<nlohmann::json>& records) {
    std::vector<std::string> out;
    for (auto record : records) {
      const auto kind = record.value("kind", std::string());
      if (kind == "container-start" || kind == "container-exit") {
        record.erase("id");
      } else if (kind != "finding") {
        continue;
      }
      out.push_back(record.dump());
    }
    return out;
  };
  std::vector<nlohmann::json> live;
  std::istringstream lines(test::fixture("records/session.live.ndjson"));
  for (std::string line; std::getline(lines, line);) {
    live.push_back(nlohmann::json::parse(line));
  }
  const auto expected = decisions(live);
  ASSERT_EQ(expected.size(), 13U);  // 7 findings, 3 starts, 3 exits
  EXPECT_EQ(decisions(sink.json), expected);
}

TEST(RecordedSessionReplay, FromAndUntilSplitTheSessionWithoutLosingARecord) {
  const std::string file = std::string(PRIVSENTRY_FIXTURES) + "/records/session.psr";
  const auto replay = [&](std::optional<WallTime> from, std::optional<WallTime> until) {
    test::CapturingSink sink;
    TimeWindowSink window(sink, from, until);
    ReplayDriver driver(file, window);
    while (driver.step()) {
    }
    driver.sensor()->flush_pending();
    return sink.json;
  };
  const auto all = replay(std::nullopt, std::nullopt);
  ASSERT_GT(all.size(), 10U);
  // Cut at the first finding's time: it and what follows are "from", the
  // rest "until" the nanosecond before.
  WallTime cut{};
  for (const auto& record : all) {
    if (record["kind"] == "finding") {
      cut = WallTime(std::chrono::nanoseconds(*parse_rfc3339_ns(record["time"].get<std::string>())));
      break;
    }
  }
  const auto before = replay(std::nullopt, cut - std::chrono::nanoseconds(1));
  const auto after = replay(cut, std::nullopt);
  EXPECT_FALSE(before.empty());
  EXPECT_FALSE(after.empty());
  EXPECT_EQ(before.size() + after.size(), all.size());
  for (const auto& record : before) {
    EXPECT_LT(*parse_rfc3339_ns(record["time"].get<std::string>()), cut.time_since_epoch().count());
    EXPECT_NE(record["kind"], "finding") << record.dump();
  }
  for (const auto& record : after) {
    EXPECT_GE(*parse_rfc3339_ns(record["time"].get<std::string>()), cut.time_since_epoch().count());
  }
}

}  // namespace
}  // namespace privsentry
