#include <gtest/gtest.h>

#include "privsentry/clock.hpp"

namespace privsentry {
namespace {

TEST(Rfc3339, FormatAndParseAgree) {
  const WallTime time{std::chrono::nanoseconds(1'796'425'262'013'477'000LL)};
  const auto text = format_rfc3339(time);
  EXPECT_EQ(text, "2026-12-04T23:01:02.013477Z");
  EXPECT_EQ(parse_rfc3339_ns(text), time.time_since_epoch().count());
  EXPECT_EQ(parse_rfc3339_ms(text), 1'796'425'262'013LL);
}

TEST(Rfc3339, FractionsOfAnyLength) {
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:01Z"), 1'000'000'000LL);
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:01.5Z"), 1'500'000'000LL);
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:01.000000001Z"), 1'000'000'001LL);
  EXPECT_EQ(parse_rfc3339_ns("1970-01-01T00:00:01.0000000019Z"), 1'000'000'001LL);  // the tenth digit is cut
  EXPECT_EQ(parse_rfc3339_ms("1969-12-31T23:59:59.9995Z"), -1LL);                   // rounded down
}

TEST(Rfc3339, AnythingElseIsRefused) {
  for (const char* text :
       {"", "2026-12-04", "2026-12-04T22:21:02", "2026-12-04T22:21:02+01:00", "2026-12-04 22:21:02Z",
        "2026-13-04T22:21:02Z", "2026-12-04T22:21:02.Z", "2026-12-04T22:21:02.1xZ", "2026-12-04T24:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339_ns(text)) << text;
  }
}

}  // namespace
}  // namespace privsentry
