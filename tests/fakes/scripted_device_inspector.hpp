#pragma once

#include <vector>

#include "enrich/device_inspector.hpp"

namespace privsentry::test {

// Answers every query with the verdict the test set.
class ScriptedDeviceInspector final : public DeviceInspector {
 public:
  DeviceVerdict inspect(const DeviceQuery& query) override {
    queries.push_back(query);
    return verdict;
  }
  DeviceVerdict verdict;
  std::vector<DeviceQuery> queries;
};

inline DeviceVerdict unrestricted_v1() {
  DeviceVerdict v;
  v.state = DeviceVerdict::State::kUnrestricted;
  v.source = "cgroup-v1 devices.list";
  v.path = "/sys/fs/cgroup/devices/docker/x/devices.list";
  v.rules = {"a *:* rwm"};
  return v;
}

inline DeviceVerdict restricted_v1() {
  DeviceVerdict v;
  v.state = DeviceVerdict::State::kRestricted;
  v.source = "cgroup-v1 devices.list";
  v.rules = {"c 1:3 rwm"};
  return v;
}

}  // namespace privsentry::test
