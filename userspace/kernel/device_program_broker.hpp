#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "enrich/device_program_source.hpp"
#include "util/file.hpp"

namespace privsentry {

// Reading a device program's instructions needs CAP_SYS_ADMIN
// (BPF_PROG_GET_FD_BY_ID), which the sensor must not keep while it parses
// what containers control. So a helper process, forked while the sensor is
// still single-threaded, keeps it and does one thing: given a cgroup
// directory (an open descriptor passed over a socket, so it never opens a
// path itself), it answers with the effective device programs. The sensor
// then holds no capability at all. The helper dies with the sensor
// (PR_SET_PDEATHSIG) and when its socket closes.
class DeviceProgramBroker final : public DeviceProgramSource {
 public:
  // `confine` runs in the helper before it serves (it drops the helper's
  // capabilities to what it needs); its error ends the helper and is
  // returned here. Call before any other thread exists.
  static Expected<std::unique_ptr<DeviceProgramBroker>> start(const std::function<std::optional<Error>()>& confine);

  ~DeviceProgramBroker() override;

  Expected<std::vector<DeviceProgram>> effective_programs(int cgroup_dir_fd) override;

  [[nodiscard]] pid_t pid() const { return child_; }

 private:
  DeviceProgramBroker(UniqueFd socket, pid_t child) : socket_(std::move(socket)), child_(child) {}
  void fail(std::string reason);

  std::mutex mutex_;
  UniqueFd socket_;
  pid_t child_;
  std::string broken_;  // why the helper cannot answer any more
};

}  // namespace privsentry
