// A session recorded on a real kernel (privsentry run --raw-record) with four
// Docker containers, replayed through the same pipeline without root: the
// recorded kernel bytes must give the findings the live run gave.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "enrich/docker_json.hpp"
#include "fakes/capturing_sink.hpp"
#include "fakes/fake_clock.hpp"
#include "fakes/recording_metadata.hpp"
#include "fakes/recording_registry.hpp"
#include "fakes/scripted_device_inspector.hpp"
#include "pipeline/sensor.hpp"
#include "source/raw_record_file_source.hpp"
#include "support/fixtures.hpp"

namespace privsentry {
namespace {

using test::fixture;

const std::string kRecordings = std::string(PRIVSENTRY_FIXTURES) + "/records/";

// The recording host: cap_last_cap 40 without CAP_SYS_RESOURCE; namespaces of
// the host the session was recorded on.
HostFacts recording_host() {
  HostFacts facts;
  facts.hostname = "recorder";
  facts.cap_last_cap = 40;
  facts.bounding = CapabilitySet(0x1fffeffffffULL);
  facts.mntns = 4026531832;
  facts.pidns = 4026531836;
  return facts;
}

// Answers device queries as the recorded containers' cgroups did.
class RecordedDevices final : public DeviceInspector {
 public:
  explicit RecordedDevices(std::set<std::string> privileged_ids) : privileged_(std::move(privileged_ids)) {}
  DeviceVerdict inspect(const DeviceQuery& query) override {
    for (const auto& id : privileged_) {
      if (query.cgroup_path.find(id) != std::string::npos) {
        return test::unrestricted_v1();
      }
    }
    return test::restricted_v1();
  }

 private:
  std::set<std::string> privileged_;
};

class RecordedSession : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"rec-priv", "rec-plain", "rec-capall", "rec-admin"}) {
      auto info = parse_docker_inspect(fixture(std::string("records/inspect_") + name + ".json"));
      ASSERT_TRUE(info) << info.error().message;
      ids_[name] = info->id;
      inspected_[info->id] = *info;
    }
  }

  // Replays the file, answering inspect requests as the engine did.
  void replay(Sensor& sensor, test::RecordingMetadata& metadata) {
    RawRecordFileSource source(kRecordings + "session.psraw");
    std::size_t answered = 0;
    source.poll(std::chrono::milliseconds(0), [&](std::span<const std::byte> record) {
      sensor.handle_record(record);
      for (; answered < metadata.requested.size(); ++answered) {
        const auto& id = metadata.requested[answered];
        const auto found = inspected_.find(id);
        if (found == inspected_.end()) {
          sensor.handle(DockerUpdate{DockerUpdate::Kind::kNotFound, id, {}, {}});
        } else {
          sensor.handle(DockerUpdate{DockerUpdate::Kind::kInspected, id, found->second, {}});
        }
      }
    });
    EXPECT_TRUE(source.finished());
    EXPECT_EQ(source.error(), "");
    EXPECT_GT(source.records_read(), 50U);
  }

  std::set<std::string> rules_for(const test::CapturingSink& sink, const std::string& name) {
    std::set<std::string> out;
    for (const auto& f : sink.of_kind("finding")) {
      if (f["container"]["id"] == ids_.at(name)) {
        out.insert(f["rule"].get<std::string>());
      }
    }
    return out;
  }

  std::map<std::string, std::string> ids_;
  std::map<std::string, DockerContainerInfo> inspected_;
};

TEST_F(RecordedSession, ReplayGivesTheFindingsOfTheLiveRun) {
  test::RecordingRegistry registry;
  test::RecordingMetadata metadata;
  RecordedDevices devices({ids_.at("rec-priv")});
  test::CapturingSink sink;
  test::FakeClock clock;
  Sensor sensor(recording_host(), 0, registry, &metadata, devices, sink, clock, SensorOptions{});
  sensor.handle(DockerUpdate{DockerUpdate::Kind::kConnected, {}, {}, "20.10"});
  replay(sensor, metadata);

  EXPECT_EQ(sensor.stats().decode_errors, 0U);
  EXPECT_EQ(rules_for(sink, "rec-priv"), (std::set<std::string>{"privileged-container", "full-capability-set",
                                                                "unrestricted-devices", "privileged-capability-use"}));
  EXPECT_EQ(rules_for(sink, "rec-plain"), std::set<std::string>{});
  EXPECT_EQ(rules_for(sink, "rec-capall"),
            (std::set<std::string>{"full-capability-set", "undeclared-privilege", "privileged-capability-use"}));
  EXPECT_EQ(rules_for(sink, "rec-admin"), std::set<std::string>{"privileged-capability-use"});

  // Each container started and ended exactly once, and nothing is left.
  std::multiset<std::string> started;
  std::multiset<std::string> exited;
  for (const auto& r : sink.of_kind("container-start")) {
    started.insert(r["container"]["name"].get<std::string>());
  }
  for (const auto& r : sink.of_kind("container-exit")) {
    exited.insert(r["container"]["name"].get<std::string>());
  }
  const std::multiset<std::string> all{"rec-admin", "rec-capall", "rec-plain", "rec-priv"};
  EXPECT_EQ(started, all);
  EXPECT_EQ(exited, all);
  EXPECT_TRUE(sensor.state().containers().empty());
  EXPECT_TRUE(registry.ids.empty());
}

TEST(RawRecordFile, DamagedFilesReplayUpToTheDamage) {
  const auto whole = fixture("records/session.psraw");
  const std::string path = ::testing::TempDir() + "/damaged.psraw";
  auto write = [&](const std::string& bytes) { std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes; };
  auto count = [&]() {
    RawRecordFileSource source(path);
    source.poll(std::chrono::milliseconds(0), [](std::span<const std::byte>) {});
    return std::make_pair(source.records_read(), source.error());
  };

  write(whole.substr(0, whole.size() - 10));
  const auto [cut_records, cut_error] = count();
  EXPECT_GT(cut_records, 50U);
  EXPECT_NE(cut_error.find("cut short"), std::string::npos) << cut_error;

  std::string huge = whole.substr(0, 8) + std::string("\xff\xff\xff\x7f", 4) + "xx";
  write(huge);
  const auto [huge_records, huge_error] = count();
  EXPECT_EQ(huge_records, 0U);
  EXPECT_NE(huge_error.find("larger than any"), std::string::npos);

  write(whole.substr(0, 8) + "\x01\x00");
  EXPECT_NE(count().second.find("truncated record length at byte 8"), std::string::npos);

  write("not a recording");
  EXPECT_THROW(RawRecordFileSource{path}, std::runtime_error);
}

}  // namespace
}  // namespace privsentry
