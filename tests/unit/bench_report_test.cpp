#include <gtest/gtest.h>

#include "driver/report_table.hpp"
#include "driver/stats.hpp"
#include "support/fixtures.hpp"

namespace privsentry::bench {
namespace {

using nlohmann::json;

TEST(BenchStats, MedianAndNearestRankPercentile) {
  EXPECT_EQ(median({3, 1, 2}), 2);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) {
    hundred.push_back(i);
  }
  EXPECT_EQ(percentile(hundred, 0.50), 50);
  EXPECT_EQ(percentile(hundred, 0.99), 99);
  EXPECT_EQ(percentile(hundred, 1.0), 100);
  EXPECT_EQ(percentile({7}, 0.99), 7);
  EXPECT_THROW(median({}), std::invalid_argument);
}

// A results file of the shape privsentry_bench writes, with numbers chosen so
// that some targets are met and some are not.
TEST(BenchReport, EveryTableAndEachTargetJudged) {
  const auto results = json::parse(test::fixture("bench/results.json"));
  const auto md = ReportTable(results).markdown();
  EXPECT_NE(md.find("Measured 2026-12-04 23:00 UTC on 2 CPUs, kernel 6.18.44, by `bench/run.sh`."), std::string::npos)
      << md;
  EXPECT_NE(md.find("| capability check, host | 110.0 | 140.0 (+30.0) | 150.0 (+40.0) | 230.0 (+120.0) | 1.33x | "
                    "4.00x |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| fork+exec, container | 800000.0 | 800000.0 (+0.0) | 808000.0 (+8000.0) | 800000.0 (+0.0) | "
                    "+1.0 % of the op | +0.0 % of the op |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| added cost per check, host: at most 1.5x the floor | 1.33x | yes |"), std::string::npos) << md;
  EXPECT_NE(md.find("| added cost per check, container: at most 1.5x the floor | 1.60x | **no** |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| added cost per check, host: below bpftrace's | 40.0 ns vs 120.0 ns | yes |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| pipeline: at least 1,000,000 events/s on one core | 900.0 k/s | **no** |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| detection latency p99: at most 250 ms | 120.0 ms | yes |"), std::string::npos) << md;
  EXPECT_NE(md.find("| RSS with 200 containers: at most 32 MiB | 24.5 MiB | yes |"), std::string::npos) << md;
  EXPECT_NE(md.find("| idle CPU: under 0.5% of a core | 0.60 % | **no** |"), std::string::npos) << md;
  EXPECT_NE(md.find("| no loss at the storm rate this machine makes | 0 lost at 7.5 k/s | yes |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| above it, loss counted exactly | 100 lost; accounting off | **no** |"), std::string::npos) << md;
  EXPECT_NE(md.find("bpftrace not measured"), std::string::npos) << md;
}

}  // namespace
}  // namespace privsentry::bench
