#include "util/text.hpp"

#include <gtest/gtest.h>

namespace privsentry {
namespace {

TEST(EscapeForTerminal, ControlAndNonAsciiBytesBecomeHex) {
  EXPECT_EQ(escape_for_terminal("plain name-1.2"), "plain name-1.2");
  EXPECT_EQ(escape_for_terminal("a\nb"), "a\\x0ab");
  EXPECT_EQ(escape_for_terminal("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(escape_for_terminal(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(escape_for_terminal("\xc2\x9b"), "\\xc2\\x9b");
  EXPECT_EQ(escape_for_terminal("back\\slash"), "back\\\\slash");
  EXPECT_EQ(escape_for_terminal("\x7f"), "\\x7f");
}

TEST(EscapeForTerminal, CutsLongText) {
  EXPECT_EQ(escape_for_terminal(std::string(10, 'x'), 4), "xxxx...");
  EXPECT_EQ(escape_for_terminal("abc", 4), "abc");
}

TEST(CFields, StopAtNulOrSize) {
  const char field[4] = {'a', 'b', '\0', 'z'};
  EXPECT_EQ(from_c_field(field, sizeof(field)), "ab");
  const char full[3] = {'x', 'y', 'z'};
  EXPECT_EQ(from_c_field(full, sizeof(full)), "xyz");
}

TEST(ContainerIds, FullAndShort) {
  EXPECT_TRUE(is_full_container_id(std::string(64, 'f')));
  EXPECT_FALSE(is_full_container_id(std::string(64, 'F')));
  EXPECT_FALSE(is_full_container_id(std::string(63, 'f')));
  EXPECT_TRUE(is_hex_id("abc123"));
  EXPECT_FALSE(is_hex_id(""));
  EXPECT_FALSE(is_hex_id("../etc"));
  EXPECT_FALSE(is_hex_id(std::string(65, 'a')));
}

}  // namespace
}  // namespace privsentry
