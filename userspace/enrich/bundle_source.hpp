#pragma once

#include <cstdint>
#include <optional>

#include "privsentry/container_ref.hpp"
#include "privsentry/oci_bundle.hpp"
#include "util/expected.hpp"

namespace privsentry {

// Where the OCI bundle of a container that Docker does not manage comes
// from: the runtimes' state directories on a host, a recording on replay, a
// test's list.
class BundleSource {
 public:
  BundleSource() = default;
  BundleSource(const BundleSource&) = delete;
  BundleSource& operator=(const BundleSource&) = delete;
  virtual ~BundleSource() = default;

  // By the id its cgroup names, or else by the cgroup of its process `pid`.
  // nullopt: no runtime knows it; an error: a bundle was found but is
  // unreadable or malformed.
  virtual std::optional<Expected<OciBundle>> find(const ContainerRef& ref, std::uint32_t pid) = 0;
};

}  // namespace privsentry
