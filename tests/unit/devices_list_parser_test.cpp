#include "enrich/devices_list_parser.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

namespace privsentry {
namespace {

using test::fixture;

TEST(DevicesList, PrivilegedAllowsEverything) {
  const auto rules = parse_devices_list(fixture("cgroup/devices_list_privileged.txt"));
  ASSERT_TRUE(rules);
  ASSERT_EQ(rules->size(), 1U);
  EXPECT_TRUE(allows_every_device(*rules));
}

TEST(DevicesList, DockerDefaultsAreRestricted) {
  const auto rules = parse_devices_list(fixture("cgroup/devices_list_default.txt"));
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->size(), 12U);
  EXPECT_FALSE(allows_every_device(*rules));
  EXPECT_EQ((*rules)[0].type, 'b');
  EXPECT_EQ((*rules)[0].major, "*");
  EXPECT_EQ((*rules)[0].access, "m");
}

TEST(DevicesList, PartialWildcardsAreNotUnrestricted) {
  for (const char* text : {"a *:* rw\n", "a *:* m\n", "b *:* rwm\nc *:* rwm\n", "a 1:* rwm\n"}) {
    const auto rules = parse_devices_list(text);
    ASSERT_TRUE(rules) << text;
    EXPECT_FALSE(allows_every_device(*rules)) << text;
  }
  const auto any_order = parse_devices_list("a *:* mwr\n");
  ASSERT_TRUE(any_order);
  EXPECT_TRUE(allows_every_device(*any_order));
}

TEST(DevicesList, MalformedLinesAreErrors) {
  for (const char* text : {"x *:* rwm\n", "a * rwm\n", "a *:* rwx\n", "a *:*\n", "ab *:* rwm\n", "a -1:* rwm\n",
                           "a 99999999999:* rwm\n", "a *:* \n"}) {
    EXPECT_FALSE(parse_devices_list(text)) << text;
  }
  EXPECT_TRUE(parse_devices_list(""));
}

TEST(DevicesList, AllowsChecksTypeNumbersAndEveryAccessAskedFor) {
  const auto rules = parse_devices_list(fixture("cgroup/devices_list_default.txt"));
  ASSERT_TRUE(rules);
  EXPECT_TRUE(devices_list_allows(*rules, 'c', 1, 3, "rw"));    // /dev/null
  EXPECT_TRUE(devices_list_allows(*rules, 'c', 136, 9, "rw"));  // a pty: 136:*
  EXPECT_TRUE(devices_list_allows(*rules, 'b', 8, 0, "m"));     // mknod of anything
  EXPECT_FALSE(devices_list_allows(*rules, 'b', 8, 0, "r"));
  EXPECT_FALSE(devices_list_allows(*rules, 'b', 8, 0, "rm"));  // every access must be granted
  EXPECT_FALSE(devices_list_allows(*rules, 'c', 1, 1, "r"));   // /dev/mem
  EXPECT_FALSE(devices_list_allows(*rules, 'b', 1, 3, "r"));   // 1:3 is a char rule

  const auto all = parse_devices_list("a *:* rwm\n");
  ASSERT_TRUE(all);
  EXPECT_TRUE(devices_list_allows(*all, 'b', 8, 0, "rwm"));
  EXPECT_TRUE(devices_list_allows(*all, 'c', 511, 511, "w"));
  const auto block = parse_devices_list("b 8:0 rw\n");
  ASSERT_TRUE(block);
  EXPECT_TRUE(devices_list_allows(*block, 'b', 8, 0, "r"));
  EXPECT_FALSE(devices_list_allows(*block, 'b', 8, 1, "r"));
  EXPECT_FALSE(devices_list_allows(*block, 'b', 8, 0, "m"));
  EXPECT_FALSE(devices_list_allows({}, 'c', 1, 3, "r"));
}

}  // namespace
}  // namespace privsentry
