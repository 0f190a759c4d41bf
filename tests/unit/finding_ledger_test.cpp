#include "pipeline/finding_ledger.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace privsentry {
namespace {

std::string id_for(unsigned n) {
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%032x", n);
  return buf;
}

std::string contents(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class FindingLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("privsentry-ledger-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(FindingLedgerTest, RemembersAcrossReopenAndIsOwnerOnly) {
  {
    auto ledger = FindingLedger::open(dir_);
    ASSERT_TRUE(ledger) << ledger.error().message;
    EXPECT_EQ((*ledger)->size(), 0U);
    ASSERT_TRUE((*ledger)->add(id_for(1)));
    ASSERT_TRUE((*ledger)->add(id_for(2)));
    ASSERT_TRUE((*ledger)->add(id_for(1)));  // once only
    EXPECT_TRUE((*ledger)->contains(id_for(2)));
  }
  auto again = FindingLedger::open(dir_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->loaded(), 2U);
  EXPECT_TRUE((*again)->contains(id_for(1)));
  EXPECT_TRUE((*again)->contains(id_for(2)));
  EXPECT_FALSE((*again)->contains(id_for(3)));
  EXPECT_EQ(contents(dir_ / FindingLedger::kFileName),
            "privsentry delivered findings 1\n" + id_for(1) + "\n" + id_for(2) + "\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / FindingLedger::kFileName).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0600U);
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0700U);
}

TEST_F(FindingLedgerTest, ATornLastLineAndGarbageAreDroppedAndTheFileRepaired) {
  std::filesystem::create_directories(dir_);
  {
    std::ofstream out(dir_ / FindingLedger::kFileName);
    out << "privsentry delivered findings 1\n"
        << id_for(7) << "\n"
        << "\x1b[31mnot an id\n"
        << id_for(8) << "\n"
        << id_for(9).substr(0, 20);  // the crash came mid-write
  }
  auto ledger = FindingLedger::open(dir_);
  ASSERT_TRUE(ledger) << ledger.error().message;
  EXPECT_EQ((*ledger)->loaded(), 2U);
  EXPECT_EQ((*ledger)->skipped_lines(), 2U);
  EXPECT_FALSE((*ledger)->contains(id_for(9)));
  ASSERT_TRUE((*ledger)->add(id_for(10)));
  EXPECT_EQ(contents(dir_ / FindingLedger::kFileName),
            "privsentry delivered findings 1\n" + id_for(7) + "\n" + id_for(8) + "\n" + id_for(10) + "\n");
}

TEST_F(FindingLedgerTest, StaysBoundedKeepingTheNewest) {
  auto ledger = FindingLedger::open(dir_, 4);
  ASSERT_TRUE(ledger) << ledger.error().message;
  for (unsigned i = 0; i < 20; ++i) {
    ASSERT_TRUE((*ledger)->add(id_for(i)));
  }
  EXPECT_EQ((*ledger)->size(), 4U);
  EXPECT_TRUE((*ledger)->contains(id_for(19)));
  EXPECT_FALSE((*ledger)->contains(id_for(15)));
  ledger = Error{"closed"};
  auto reopened = FindingLedger::open(dir_, 4);
  ASSERT_TRUE(reopened);
  EXPECT_TRUE((*reopened)->contains(id_for(19)));
  EXPECT_TRUE((*reopened)->contains(id_for(16)));
  EXPECT_FALSE((*reopened)->contains(id_for(11)));
  // At most twice the bound on disk, plus the version line.
  const auto text = contents(dir_ / FindingLedger::kFileName);
  EXPECT_LE(std::count(text.begin(), text.end(), '\n'), 9);
}

TEST_F(FindingLedgerTest, TwoSensorsCannotShareOne) {
  auto first = FindingLedger::open(dir_);
  ASSERT_TRUE(first) << first.error().message;
  auto second = FindingLedger::open(dir_);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("in use by another privsentry"), std::string::npos) << second.error().message;
}

TEST_F(FindingLedgerTest, ASymlinkInPlaceOfTheFileIsRefused) {
  std::filesystem::create_directories(dir_);
  std::filesystem::create_symlink("/etc/passwd", dir_ / FindingLedger::kFileName);
  auto ledger = FindingLedger::open(dir_);
  ASSERT_FALSE(ledger);
  EXPECT_NE(ledger.error().message.find(FindingLedger::kFileName), std::string::npos) << ledger.error().message;
}

TEST(FindingIdTest, OnlyThirtyTwoLowerHexDigits) {
  EXPECT_TRUE(is_finding_id("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_finding_id("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(is_finding_id("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(is_finding_id(""));
}

}  // namespace
}  // namespace privsentry
