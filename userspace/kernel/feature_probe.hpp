#pragma once

#include <string>
#include <vector>

namespace privsentry {

struct FeatureCheck {
  std::string name;
  bool available = false;
  std::string detail;
};

// What this kernel offers the sensor, probed (never guessed from the version):
// BTF and the types the programs rely on, program and map types, kprobes.
std::vector<FeatureCheck> probe_kernel_features();

}  // namespace privsentry
