#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "kernel/device_program_broker.hpp"
#include "privsentry/capability_set.hpp"
#include "util/expected.hpp"

namespace privsentry {

// One capability the sensor asks for, and why: the table doctor prints, the
// deployment files grant and the end-to-end test checks against both.
struct CapabilityNeed {
  // Who holds it once the probes are attached: nobody (only while loading
  // and scanning), the sensor itself, or the device-program helper.
  enum class Holder { kStartUp, kSensor, kDeviceHelper };
  int capability = 0;
  Holder holder = Holder::kStartUp;
  std::string_view why;
};

std::string_view to_string(CapabilityNeed::Holder holder);

// Every capability `privsentry run` needs, in the order doctor lists them.
std::span<const CapabilityNeed> sensor_capability_needs();

// Those of them the sensor keeps once its programs are attached.
CapabilitySet sensor_kept_capabilities();

// Those the device-program helper keeps (DeviceProgramBroker).
CapabilitySet device_helper_capabilities();

// Those it needs to start: the set a systemd unit or a pod must grant.
CapabilitySet sensor_start_capabilities();

// The credentials of the calling thread.
struct ThreadPrivileges {
  CapabilitySet effective;
  CapabilitySet permitted;
  CapabilitySet inheritable;
  CapabilitySet bounding;
  CapabilitySet ambient;
  bool no_new_privs = false;
  unsigned securebits = 0;
};

Expected<ThreadPrivileges> read_thread_privileges();

// Reduces the calling thread to `keep` (intersected with what it holds):
// bounding set, permitted, effective; inheritable and ambient cleared;
// securebits that stop a root exec from regaining anything, locked; and
// no_new_privs. Credentials are per thread: call it before the sensor starts
// any other thread, which then inherit the result. Returns the credentials
// it left, read back from the kernel.
Expected<ThreadPrivileges> drop_privileges(CapabilitySet keep);

// "CAP_NET_ADMIN, CAP_SYS_ADMIN", or `if_empty`.
std::string join_capability_names(CapabilitySet set, std::string_view if_empty);

// Forks the device-program helper, reduced to device_helper_capabilities()
// (what run does, and doctor tries). Call while single-threaded.
Expected<std::unique_ptr<DeviceProgramBroker>> start_device_helper();

}  // namespace privsentry
