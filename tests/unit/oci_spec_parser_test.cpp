#include "enrich/oci_spec_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/fixtures.hpp"

namespace privsentry {
namespace {

using test::fixture;

// The host the ctr samples were recorded on: every capability but
// CAP_SYS_RESOURCE, which its runtime wrapper took out of the specs.
const CapabilitySet kRecordingHost = *parse_capability_hex("000001fffeffffff");

Expected<OciBundle> sample(const std::string& name, CapabilitySet host = kRecordingHost) {
  return parse_oci_spec(fixture("oci/" + name), host);
}

TEST(OciSpec, CtrPrivilegedDeclaresEverything) {
  const auto bundle = sample("ctr_privileged.json");
  ASSERT_TRUE(bundle) << bundle.error().message;
  EXPECT_TRUE(bundle->privileged);
  EXPECT_TRUE(bundle->all_devices_allowed);
  EXPECT_TRUE(bundle->masked_paths.empty());
  EXPECT_EQ(bundle->bounding, kRecordingHost);
  EXPECT_GT(bundle->host_devices, 10U);  // ctr --privileged adds the host's /dev
  EXPECT_EQ(bundle->cgroups_path, "/privsentry-ctr/ctrpriv");
  EXPECT_EQ(bundle->device_rules, std::vector<std::string>{"allow a *:* rwm"});
  EXPECT_TRUE(bundle->kubernetes.empty());
  // On a host that can grant CAP_SYS_RESOURCE the same spec falls short of it.
  EXPECT_FALSE(sample("ctr_privileged.json", *parse_capability_hex("000001ffffffffff"))->privileged);
}

TEST(OciSpec, CtrPlainIsNotPrivileged) {
  const auto bundle = sample("ctr_plain.json");
  ASSERT_TRUE(bundle) << bundle.error().message;
  EXPECT_FALSE(bundle->privileged);
  EXPECT_FALSE(bundle->all_devices_allowed);
  EXPECT_FALSE(bundle->masked_paths.empty());
  EXPECT_EQ(bundle->bounding.count(), 14);
  EXPECT_EQ(bundle->device_rules.front(), "deny a *:* rwm");
  EXPECT_EQ(bundle->device_rules.size(), 10U);
  EXPECT_EQ(bundle->device_rules[1], "allow c 1:3 rwm");
  EXPECT_EQ(bundle->host_devices, 0U);
}

TEST(OciSpec, CriAnnotationsOfContainerdAndCrioGiveTheKubernetesNames) {
  const auto cri = sample("containerd_cri_privileged.json");
  ASSERT_TRUE(cri) << cri.error().message;
  EXPECT_TRUE(cri->privileged);
  EXPECT_EQ(cri->kubernetes.pod_namespace, "kube-system");
  EXPECT_EQ(cri->kubernetes.pod_name, "agent-x2k9p");
  EXPECT_EQ(cri->kubernetes.container_name, "node-agent");
  EXPECT_EQ(cri->kubernetes.pod_uid, "4c1b6f9e-2a7d-4d3b-8e5f-9a0c1d2e3f40");
  EXPECT_EQ(cri->image, "registry.example/agent:2.0");

  const auto crio = sample("crio_default.json");
  ASSERT_TRUE(crio) << crio.error().message;
  EXPECT_FALSE(crio->privileged);
  EXPECT_EQ(crio->kubernetes.pod_namespace, "shop");
  EXPECT_EQ(crio->kubernetes.pod_name, "web-5c8d");
  EXPECT_EQ(crio->kubernetes.container_name, "nginx");
  EXPECT_EQ(crio->kubernetes.pod_uid, "4c1b6f9e-2a7d-4d3b-8e5f-9a0c1d2e3f40");
  EXPECT_EQ(crio->image, "registry.example/nginx:1.25");

  EXPECT_EQ(crio->engine, "cri-o");
  EXPECT_TRUE(cri->engine.empty());  // containerd says so by where its bundle is

  // Recorded from podman run --privileged here: podman writes some CRI-O
  // annotations too, but names itself.
  const auto podman = sample("podman_privileged.json");
  ASSERT_TRUE(podman) << podman.error().message;
  EXPECT_TRUE(podman->privileged);
  EXPECT_EQ(podman->engine, "podman");
  EXPECT_EQ(podman->cgroups_path.rfind("/libpod_parent/libpod-", 0), 0U);
  EXPECT_TRUE(podman->kubernetes.empty());
}

TEST(OciSpec, ADenyAfterAllowAllClosesItAndHostileTextIsKeptAsData) {
  const auto bundle = sample("hostile_annotations.json");
  ASSERT_TRUE(bundle) << bundle.error().message;
  EXPECT_FALSE(bundle->all_devices_allowed);
  EXPECT_FALSE(bundle->privileged);
  EXPECT_EQ(bundle->kubernetes.pod_name, "evil\x1b]0;owned\x07\nname");  // escaped by the sinks, not here
  EXPECT_EQ(bundle->kubernetes.pod_namespace.size(), 1024U);             // cut, not refused
}

TEST(OciSpec, WhatIsNotASpecIsAnError) {
  for (const char* text : {"", "[]", "{", "{\"process\":{}}", "null", "{\"ociVersion\":1}"}) {
    EXPECT_FALSE(parse_oci_spec(text, kRecordingHost)) << text;
  }
  // Wrong types inside are ignored, never trusted.
  const auto odd =
      parse_oci_spec(R"({"ociVersion":"1.0.2","process":{"capabilities":{"bounding":"CAP_SYS_ADMIN"}},)"
                     R"("linux":{"resources":{"devices":[{"allow":"yes"},7]},"maskedPaths":{}},"annotations":[]})",
                     kRecordingHost);
  ASSERT_TRUE(odd) << odd.error().message;
  EXPECT_TRUE(odd->bounding.empty());
  EXPECT_FALSE(odd->privileged);
  const auto unknown_cap = parse_oci_spec(
      R"({"ociVersion":"1.0.2","process":{"capabilities":{"bounding":["CAP_FUTURE_THING"]}}})", kRecordingHost);
  ASSERT_TRUE(unknown_cap);
  EXPECT_EQ(unknown_cap->capability_names_unknown, std::vector<std::string>{"CAP_FUTURE_THING"});
}

}  // namespace
}  // namespace privsentry
