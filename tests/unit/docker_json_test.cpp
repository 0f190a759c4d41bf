#include "enrich/docker_json.hpp"

#include <gtest/gtest.h>

#include "enrich/docker_client.hpp"
#include "support/fixtures.hpp"

namespace privsentry {
namespace {

using test::fixture;

TEST(DockerInspect, PrivilegedContainer) {
  const auto info = parse_docker_inspect(fixture("docker/inspect_privileged.json"));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_TRUE(info->privileged);
  EXPECT_EQ(info->name, "priv1");
  EXPECT_EQ(info->image, "privsentry-test/busybox");
  EXPECT_EQ(info->id.size(), 64U);
  EXPECT_EQ(info->oci_runtime, "privsentry-runc");
  EXPECT_TRUE(info->cap_add.empty());
}

TEST(DockerInspect, CapAddAllIsNotPrivileged) {
  const auto info = parse_docker_inspect(fixture("docker/inspect_cap_add_all.json"));
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->privileged);
  EXPECT_EQ(info->cap_add, std::vector<std::string>{"ALL"});
}

TEST(DockerInspect, DevicesRulesCapsAndSecurityOptions) {
  const auto info = parse_docker_inspect(fixture("docker/inspect_devices.json"));
  ASSERT_TRUE(info);
  ASSERT_EQ(info->devices.size(), 1U);
  EXPECT_EQ(info->devices[0].path_on_host, "/dev/null");
  EXPECT_EQ(info->devices[0].path_in_container, "/dev/xnull");
  EXPECT_EQ(info->devices[0].cgroup_permissions, "rwm");
  EXPECT_EQ(info->device_cgroup_rules, std::vector<std::string>{"c 1:3 rwm"});
  EXPECT_EQ(info->cap_add, std::vector<std::string>{"NET_ADMIN"});
  EXPECT_EQ(info->cap_drop, std::vector<std::string>{"NET_RAW"});
  EXPECT_EQ(info->security_opt, std::vector<std::string>{"no-new-privileges"});
}

TEST(DockerInspect, LabelsAndState) {
  const auto info = parse_docker_inspect(fixture("docker/inspect_labels.json"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->labels.at("com.example.team"), "payments");
  EXPECT_TRUE(info->running);
  EXPECT_GT(info->pid, 0U);
}

TEST(DockerInspect, MalformedAnswersAreErrorsWithAReason) {
  const std::string id(64, 'a');
  struct Case {
    std::string body;
    std::string reason;
  };
  for (const auto& c : std::vector<Case>{
           {"", "not valid JSON"},
           {"{\"Id\":", "not valid JSON"},
           {"[]", "not a JSON object"},
           {"{}", "Id is missing"},
           {"{\"Id\":\"" + id.substr(0, 12) + "\",\"HostConfig\":{\"Privileged\":true}}", "Id is missing"},
           {"{\"Id\":\"" + id + "\"}", "HostConfig is missing"},
           {"{\"Id\":\"" + id + "\",\"HostConfig\":{}}", "Privileged is missing"},
           {"{\"Id\":\"" + id + "\",\"HostConfig\":{\"Privileged\":\"true\"}}", "not a boolean"},
           {"{\"Id\":\"" + id + "\",\"HostConfig\":{\"Privileged\":1}}", "not a boolean"},
           {"{\"Id\":\"" + id + "\",\"HostConfig\":{\"Privileged\":null}}", "Privileged is missing"},
       }) {
    const auto info = parse_docker_inspect(c.body);
    ASSERT_FALSE(info) << c.body;
    EXPECT_NE(info.error().message.find(c.reason), std::string::npos) << info.error().message;
  }
}

TEST(DockerInspect, WrongTypesElsewhereAreIgnoredNotFatal) {
  const std::string id(64, 'b');
  const auto info = parse_docker_inspect(
      "{\"Id\":\"" + id +
      "\",\"Name\":7,\"HostConfig\":{\"Privileged\":false,\"CapAdd\":\"ALL\",\"Devices\":[1,\"x\",{\"PathOnHost\":5}],"
      "\"SecurityOpt\":[null,\"seccomp=unconfined\"]},\"Config\":{\"Labels\":{\"a\":1,\"b\":\"c\"}},\"State\":{\"Pid\":"
      "-4}}");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->name, "");
  EXPECT_TRUE(info->cap_add.empty());
  ASSERT_EQ(info->devices.size(), 1U);
  EXPECT_EQ(info->devices[0].path_on_host, "");
  EXPECT_EQ(info->security_opt, std::vector<std::string>{"seccomp=unconfined"});
  EXPECT_EQ(info->labels.size(), 1U);
  EXPECT_EQ(info->pid, 0U);
}

TEST(DockerInspect, HostileStringsSurviveVerbatim) {
  const std::string id(64, 'c');
  const auto info = parse_docker_inspect("{\"Id\":\"" + id +
                                         "\",\"Name\":\"/evil\\n{\\\"kind\\\":\\\"finding\\\"}\\u001b[31m\\u0000\","
                                         "\"HostConfig\":{\"Privileged\":false}}");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name, std::string("evil\n{\"kind\":\"finding\"}\x1b[31m") + std::string(1, '\0'));
}

TEST(DockerInspect, DeepNestingIsRefusedBeforeParsing) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  const auto info = parse_docker_inspect(deep);
  ASSERT_FALSE(info);
  EXPECT_NE(info.error().message.find("nests deeper"), std::string::npos);
  // Brackets inside strings do not count.
  EXPECT_FALSE(json_nesting_exceeds("{\"a\":\"" + std::string(1000, '[') + "\"}", 4));
  EXPECT_FALSE(json_nesting_exceeds("{\"a\\\"[[[[[\":1}", 2));
  EXPECT_TRUE(json_nesting_exceeds("[[[[[1]]]]]", 4));
  EXPECT_FALSE(json_nesting_exceeds("[[[[1]]]]", 4));
}

TEST(DockerInspect, InvalidUtf8IsAnError) {
  const std::string id(64, 'd');
  const auto info =
      parse_docker_inspect("{\"Id\":\"" + id + "\",\"Name\":\"\xff\xfe\",\"HostConfig\":{\"Privileged\":true}}");
  EXPECT_FALSE(info);
}

TEST(DockerList, IdsOfRunningContainers) {
  const auto ids = parse_docker_container_list(fixture("docker/list.json"));
  ASSERT_TRUE(ids);
  ASSERT_EQ(ids->size(), 1U);
  EXPECT_EQ((*ids)[0].size(), 64U);
  const auto filtered = parse_docker_container_list("[{\"Id\":\"short\"},{\"Id\":\"" + std::string(64, 'e') + "\"},3]");
  ASSERT_TRUE(filtered);
  EXPECT_EQ(filtered->size(), 1U);
  EXPECT_FALSE(parse_docker_container_list("{}"));
  EXPECT_FALSE(parse_docker_container_list("nope"));
}

TEST(DockerEvents, RecordedStream) {
  const auto text = fixture("docker/events.ndjson");
  std::vector<std::string> actions;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const auto line = text.substr(start, end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    if (line.empty()) {
      continue;
    }
    const auto event = parse_docker_event(line);
    ASSERT_TRUE(event) << event.error().message;
    EXPECT_EQ(event->type, "container");
    EXPECT_EQ(event->id.size(), 64U);
    EXPECT_GT(event->time_nano, 0);
    actions.push_back(event->action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "start", "create", "start", "kill", "die", "destroy"}));
  EXPECT_FALSE(parse_docker_event("{"));
  EXPECT_FALSE(parse_docker_event("7"));
}

TEST(DockerVersion, VersionAndApi) {
  const auto version = parse_docker_version(fixture("docker/version.json"));
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, "20.10.24+dfsg1 (API 1.41)");
  EXPECT_FALSE(parse_docker_version("{}"));
}

TEST(DockerHost, OnlyUnixSockets) {
  EXPECT_EQ(*docker_socket_from(""), "/var/run/docker.sock");
  EXPECT_EQ(*docker_socket_from("unix:///run/x/docker.sock"), "/run/x/docker.sock");
  EXPECT_FALSE(docker_socket_from("tcp://10.0.0.1:2375"));
  EXPECT_FALSE(docker_socket_from("unix://"));
  const auto hostile = docker_socket_from("ssh://\x1b[2Jhost");
  ASSERT_FALSE(hostile);
  EXPECT_EQ(hostile.error().message.find('\x1b'), std::string::npos);
}

}  // namespace
}  // namespace privsentry
