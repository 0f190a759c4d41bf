#include "output/spool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace privsentry {
namespace {

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) /
        ("spool-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Spool> open(std::uint64_t max_bytes = 1U << 20U) {
    auto spool = Spool::open(SpoolOptions{dir_, max_bytes, 4096});
    EXPECT_TRUE(spool) << spool.error().message;
    return std::move(*spool);
  }
  static std::vector<SpoolRecord> records(int from, int to) {
    std::vector<SpoolRecord> out;
    for (int i = from; i < to; ++i) {
      out.push_back(SpoolRecord{1000 + i, "record-" + std::to_string(i) + std::string(200, 'x')});
    }
    return out;
  }
  static std::vector<std::string> names(const std::vector<SpoolRecord>& recs) {
    std::vector<std::string> out;
    for (const auto& r : recs) {
      out.push_back(r.data.substr(0, r.data.find('x')));
    }
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(SpoolTest, InOrderAcrossSegmentsAndConsumed) {
  auto spool = open();
  ASSERT_TRUE(spool->append(records(0, 50)));
  ASSERT_TRUE(spool->append(records(50, 60)));
  EXPECT_EQ(spool->records(), 60U);
  std::vector<std::string> seen;
  while (!spool->empty()) {
    auto batch = spool->peek(7);
    ASSERT_TRUE(batch);
    ASSERT_FALSE(batch->empty());
    for (const auto& name : names(*batch)) {
      seen.push_back(name);
    }
    ASSERT_TRUE(spool->consume(batch->size()));
  }
  ASSERT_EQ(seen.size(), 60U);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(seen[static_cast<std::size_t>(i)], "record-" + std::to_string(i));
  }
  // Delivered segments are gone.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    files += entry.path().filename().string().rfind("seg-", 0) == 0 ? 1U : 0U;
  }
  EXPECT_LE(files, 1U);
  EXPECT_EQ(std::filesystem::status(dir_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
}

TEST_F(SpoolTest, ARestartResumesWhereDeliveryStopped) {
  {
    auto spool = open();
    ASSERT_TRUE(spool->append(records(0, 30)));
    auto batch = spool->peek(10);
    ASSERT_TRUE(spool->consume(10));
    // Peeked but not consumed: delivered maybe, not acknowledged.
    ASSERT_TRUE(spool->peek(5));
  }
  auto spool = open();
  EXPECT_EQ(spool->records(), 20U);
  auto batch = spool->peek(100);
  ASSERT_TRUE(batch);
  EXPECT_EQ(names(*batch).front(), "record-10");
  EXPECT_EQ(names(*batch).back(), "record-29");
}

TEST_F(SpoolTest, TornTailIsCutAtOpen) {
  {
    auto spool = open();
    ASSERT_TRUE(spool->append(records(0, 5)));
  }
  // A crash in the middle of a write: half a record at the end.
  std::filesystem::path segment;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().filename().string().rfind("seg-", 0) == 0) {
      segment = entry.path();
    }
  }
  {
    std::ofstream out(segment, std::ios::binary | std::ios::app);
    out << std::string("\x40\x00\x00\x00garbage", 11);
  }
  auto spool = open();
  EXPECT_EQ(spool->records(), 5U);
  EXPECT_EQ(spool->recovered_losses(), 1U);
  ASSERT_TRUE(spool->append(records(5, 6)));
  auto batch = spool->peek(10);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 6U);
  EXPECT_EQ(names(*batch).back(), "record-5");
}

TEST_F(SpoolTest, CorruptRecordIsNotReplayed) {
  {
    auto spool = open();
    ASSERT_TRUE(spool->append(records(0, 3)));
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().filename().string().rfind("seg-", 0) == 0) {
      std::fstream file(entry.path(), std::ios::binary | std::ios::in | std::ios::out);
      file.seekp(16 + 216 + 20);  // inside the second record's bytes
      file.put('Z');
    }
  }
  auto spool = open();
  EXPECT_EQ(spool->records(), 1U);  // the first only: the CRC catches the rest
}

TEST_F(SpoolTest, FullSpoolDropsTheOldestAndSaysHowMany) {
  auto spool = open(64U << 10U);  // segments of 16 KiB under a 64 KiB cap
  std::uint64_t dropped = 0;
  std::int64_t oldest = 0;
  for (int i = 0; i < 600; i += 10) {
    auto result = spool->append(records(i, i + 10));
    ASSERT_TRUE(result) << result.error().message;
    if (result->records > 0 && oldest == 0) {
      oldest = result->oldest_ms;
    }
    dropped += result->records;
  }
  EXPECT_GT(dropped, 0U);
  EXPECT_EQ(oldest, 1000);  // the very first record went first
  EXPECT_LE(spool->bytes(), 64U << 10U);
  EXPECT_EQ(spool->records() + dropped, 600U);
  auto batch = spool->peek(1000);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), spool->records());
  EXPECT_EQ(names(*batch).back(), "record-599");
  EXPECT_EQ(names(*batch).front(), "record-" + std::to_string(dropped));
}

}  // namespace
}  // namespace privsentry
