#pragma once

#include "privsentry/kernel_event.hpp"
#include "state/container.hpp"

namespace privsentry {

struct SensorStats;

// Watches the sensor work, for the live view: what each kernel event did to
// a container, and when the loop ticks. Called on the sensor's thread.
class SensorObserver {
 public:
  virtual ~SensorObserver() = default;
  // A kernel event that changed a container (an exec, a new capability use,
  // its cgroup appearing); container is the state after the change.
  virtual void on_activity(const KernelEvent& event, const Container& container) = 0;
  // The container's state changed in a way the view shows (Docker's answer,
  // device verdict, processes).
  virtual void on_container_changed(const Container& container) = 0;
  virtual void on_container_exited(const Container& container) = 0;
  virtual void on_tick(const SensorStats& stats) = 0;
};

}  // namespace privsentry
