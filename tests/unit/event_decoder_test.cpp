#include "decode/event_decoder.hpp"

#include <gtest/gtest.h>

#include "fakes/raw_records.hpp"

namespace privsentry {
namespace {

using namespace privsentry::test;

TEST(EventDecoder, ExecRecord) {
  TaskSpec spec;
  spec.comm = "sleep";
  spec.flags = PS_TASK_CONTAINER_CGROUP;
  const auto bytes = exec_record(spec, kPrivilegedBounding, kPrivilegedBounding, "/bin/sleep");
  const auto event = EventDecoder().decode(bytes);
  ASSERT_TRUE(event) << event.error().message;
  const auto& exec = std::get<ExecEvent>(*event);
  EXPECT_EQ(exec.task.pid, 1000U);
  EXPECT_EQ(exec.task.comm, "sleep");
  EXPECT_EQ(exec.task.cgroup_id, 5000U);
  EXPECT_TRUE(exec.task.container_cgroup);
  EXPECT_FALSE(exec.task.runtime_image);
  EXPECT_EQ(exec.caps.bounding.bits(), kPrivilegedBounding);
  EXPECT_EQ(exec.filename, "/bin/sleep");
}

TEST(EventDecoder, CgroupRecordKeepsThePathExactly) {
  const std::string path = "/docker/" + std::string(64, 'a');
  const auto event = EventDecoder().decode(cgroup_record(PS_EVENT_CGROUP_MKDIR, 77, path, 0));
  ASSERT_TRUE(event);
  const auto& cgroup = std::get<CgroupEvent>(*event);
  EXPECT_EQ(cgroup.action, CgroupAction::kMkdir);
  EXPECT_EQ(cgroup.cgroup_id, 77U);
  EXPECT_EQ(cgroup.path, path);
  EXPECT_FALSE(cgroup.path_truncated);
}

TEST(EventDecoder, CapabilityRecordKeepsAnyCapabilityNumber) {
  const auto event = EventDecoder().decode(capability_record(TaskSpec{}, 4711, true));
  ASSERT_TRUE(event);
  const auto& cap = std::get<CapabilityEvent>(*event);
  EXPECT_EQ(cap.capability, 4711);  // bounded by the consumers, not here
  EXPECT_TRUE(cap.granted);
  EXPECT_TRUE(cap.cred_is_task);
}

TEST(EventDecoder, UnterminatedStringsStopAtTheField) {
  ps_exec_event raw{};
  raw.hdr = header(PS_EVENT_EXEC, sizeof(raw));
  std::memset(raw.task.comm, 'A', sizeof(raw.task.comm));
  std::memset(raw.filename, 'B', sizeof(raw.filename));
  const auto event = EventDecoder().decode(bytes_of(raw));
  ASSERT_TRUE(event);
  EXPECT_EQ(std::get<ExecEvent>(*event).task.comm, std::string(16, 'A'));
  EXPECT_EQ(std::get<ExecEvent>(*event).filename, std::string(PS_FILENAME_LEN, 'B'));
}

TEST(EventDecoder, RejectsShortWrongSizedAndForeignRecords) {
  EventDecoder decoder;
  auto bytes = exec_record(TaskSpec{}, 0, 0);

  EXPECT_NE(decoder.decode(std::span(bytes).first(8)).error().message.find("shorter than"), std::string::npos);

  auto truncated = bytes;
  truncated.resize(bytes.size() - 4);
  EXPECT_NE(decoder.decode(truncated).error().message.find("header says"), std::string::npos);

  ps_event_header h = header(PS_EVENT_EXEC, sizeof(ps_event_header));
  EXPECT_NE(decoder.decode(bytes_of(h)).error().message.find("exec record has 16 bytes"), std::string::npos);

  h = header(PS_EVENT_TYPE_END, sizeof(ps_event_header));
  EXPECT_NE(decoder.decode(bytes_of(h)).error().message.find("unknown event type"), std::string::npos);
  h = header(0, sizeof(ps_event_header));
  EXPECT_FALSE(decoder.decode(bytes_of(h)));

  h = header(PS_EVENT_EXEC, sizeof(ps_event_header));
  h.abi_version = PS_ABI_VERSION + 1;
  EXPECT_NE(decoder.decode(bytes_of(h)).error().message.find("ABI version"), std::string::npos);

  EXPECT_FALSE(decoder.decode({}));
}

}  // namespace
}  // namespace privsentry
