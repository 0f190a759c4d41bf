#include "decode/event_decoder.hpp"

#include <cstring>
#include <string>

#include "privsentry/abi/events.h"
#include "util/text.hpp"

namespace privsentry {
namespace {

template <typename T>
Expected<T> copy_record(std::span<const std::byte> record, const char* what) {
  if (record.size() != sizeof(T)) {
    return Error{std::string(what) + " record has " + std::to_string(record.size()) + " bytes, expected " +
                 std::to_string(sizeof(T))};
  }
  T out;
  std::memcpy(&out, record.data(), sizeof(T));
  return out;
}

TaskInfo to_task(const ps_task& raw) {
  TaskInfo task;
  task.pid = raw.pid;
  task.tgid = raw.tgid;
  task.ppid = raw.ppid;
  task.ns_pid = raw.ns_pid;
  task.uid = raw.uid;
  task.euid = raw.euid;
  task.pidns = raw.pidns_inum;
  task.mntns = raw.mntns_inum;
  task.pidns_level = raw.pidns_level;
  task.cgroup_id = raw.cgroup_id;
  task.runtime_image = (raw.flags & PS_TASK_RUNTIME_IMAGE) != 0;
  task.host_namespaces = (raw.flags & PS_TASK_HOST_NAMESPACES) != 0;
  task.container_cgroup = (raw.flags & PS_TASK_CONTAINER_CGROUP) != 0;
  task.comm = from_c_field(raw.comm, sizeof(raw.comm));
  return task;
}

CapabilitySets to_caps(const ps_capsets& raw) {
  return CapabilitySets{CapabilitySet(raw.effective), CapabilitySet(raw.permitted), CapabilitySet(raw.inheritable),
                        CapabilitySet(raw.bounding), CapabilitySet(raw.ambient)};
}

Expected<KernelEvent> decode_cgroup(std::span<const std::byte> record, CgroupAction action) {
  auto raw = copy_record<ps_cgroup_event>(record, "cgroup");
  if (!raw) {
    return raw.error();
  }
  CgroupEvent event;
  event.timestamp_ns = raw->hdr.timestamp_ns;
  event.action = action;
  event.cgroup_id = raw->cgroup_id;
  event.hierarchy_id = raw->hierarchy_id;
  event.level = raw->level;
  event.pid = raw->pid;
  event.tgid = raw->tgid;
  event.comm = from_c_field(raw->comm, sizeof(raw->comm));
  event.path = from_c_field(raw->path, sizeof(raw->path));
  event.path_truncated = (raw->flags & PS_CGROUP_PATH_TRUNCATED) != 0;
  return KernelEvent{std::move(event)};
}

Expected<KernelEvent> decode_exec(std::span<const std::byte> record) {
  auto raw = copy_record<ps_exec_event>(record, "exec");
  if (!raw) {
    return raw.error();
  }
  ExecEvent event;
  event.timestamp_ns = raw->hdr.timestamp_ns;
  event.task = to_task(raw->task);
  event.caps = to_caps(raw->caps);
  event.filename = from_c_field(raw->filename, sizeof(raw->filename));
  event.left_runtime = (raw->flags & PS_EXEC_LEFT_RUNTIME) != 0;
  event.filename_truncated = (raw->flags & PS_EXEC_FILENAME_TRUNCATED) != 0;
  return KernelEvent{std::move(event)};
}

Expected<KernelEvent> decode_fork(std::span<const std::byte> record) {
  auto raw = copy_record<ps_fork_event>(record, "fork");
  if (!raw) {
    return raw.error();
  }
  ForkEvent event;
  event.timestamp_ns = raw->hdr.timestamp_ns;
  event.task = to_task(raw->task);
  event.caps = to_caps(raw->caps);
  return KernelEvent{std::move(event)};
}

Expected<KernelEvent> decode_exit(std::span<const std::byte> record) {
  auto raw = copy_record<ps_exit_event>(record, "exit");
  if (!raw) {
    return raw.error();
  }
  ExitEvent event;
  event.timestamp_ns = raw->hdr.timestamp_ns;
  event.task = to_task(raw->task);
  event.exit_code = raw->exit_code;
  return KernelEvent{std::move(event)};
}

Expected<KernelEvent> decode_capability(std::span<const std::byte> record) {
  auto raw = copy_record<ps_capability_event>(record, "capability");
  if (!raw) {
    return raw.error();
  }
  CapabilityEvent event;
  event.timestamp_ns = raw->hdr.timestamp_ns;
  event.task = to_task(raw->task);
  event.capability = raw->capability;
  event.granted = raw->granted != 0;
  event.userns_level = raw->userns_level;
  event.cred_is_task = (raw->flags & PS_CAP_CRED_IS_TASK) != 0;
  event.cred_effective = CapabilitySet(raw->cred_effective);
  return KernelEvent{std::move(event)};
}

}  // namespace

Expected<KernelEvent> EventDecoder::decode(std::span<const std::byte> record) const {
  ps_event_header header{};
  if (record.size() < sizeof(header)) {
    return Error{"record of " + std::to_string(record.size()) + " bytes is shorter than the " +
                 std::to_string(sizeof(header)) + "-byte header"};
  }
  std::memcpy(&header, record.data(), sizeof(header));
  if (header.abi_version != PS_ABI_VERSION) {
    return Error{"record has ABI version " + std::to_string(header.abi_version) + ", this build reads " +
                 std::to_string(PS_ABI_VERSION)};
  }
  if (header.size != record.size()) {
    return Error{"record header says " + std::to_string(header.size) + " bytes but the record has " +
                 std::to_string(record.size())};
  }
  switch (header.type) {
    case PS_EVENT_CGROUP_MKDIR:
      return decode_cgroup(record, CgroupAction::kMkdir);
    case PS_EVENT_CGROUP_RMDIR:
      return decode_cgroup(record, CgroupAction::kRmdir);
    case PS_EVENT_CGROUP_ATTACH:
      return decode_cgroup(record, CgroupAction::kAttach);
    case PS_EVENT_EXEC:
      return decode_exec(record);
    case PS_EVENT_FORK:
      return decode_fork(record);
    case PS_EVENT_EXIT:
      return decode_exit(record);
    case PS_EVENT_CAPABILITY:
      return decode_capability(record);
    default:
      return Error{"record has unknown event type " + std::to_string(header.type)};
  }
}

}  // namespace privsentry
