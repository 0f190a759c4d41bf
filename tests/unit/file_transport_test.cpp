#include "output/file_transport.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace privsentry {
namespace {

std::size_t lines_in(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
  }
  return n;
}

TEST(FileTransport, RotatesBySizeAndKeepsN) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / ("file-sink-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = dir / "out.ndjson";
  FileTransport transport(path, 2000, 2, RecordFormatter(RecordFormat::kNative, "v"));
  std::vector<std::shared_ptr<const nlohmann::json>> batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(std::make_shared<const nlohmann::json>(
        nlohmann::json{{"kind", "finding"}, {"seq", i}, {"pad", std::string(300, 'x')}}));
  }
  for (int round = 0; round < 3; ++round) {
    const auto result = transport.deliver(batch);
    ASSERT_TRUE(result.ok) << result.error;
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::exists(dir / "out.ndjson.1"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out.ndjson.2"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out.ndjson.3"));
  for (const auto& file : {path, dir / "out.ndjson.1", dir / "out.ndjson.2"}) {
    EXPECT_LE(std::filesystem::file_size(file), 2000U) << file;
    EXPECT_GT(lines_in(file), 0U);
  }
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  // SIGHUP after an outside rotation: the path is opened afresh.
  std::filesystem::rename(path, dir / "moved");
  transport.reopen();
  ASSERT_TRUE(transport.deliver({batch.front()}).ok);
  EXPECT_EQ(lines_in(path), 1U);
  std::filesystem::remove_all(dir);
}

TEST(FileTransport, UnwritablePathIsAnErrorNotACrash) {
  FileTransport transport("/nonexistent-dir/out.ndjson", 1U << 20U, 1, RecordFormatter(RecordFormat::kNative, "v"));
  const auto result = transport.deliver({std::make_shared<const nlohmann::json>(nlohmann::json{{"kind", "x"}})});
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("/nonexistent-dir/out.ndjson"), std::string::npos);
}

}  // namespace
}  // namespace privsentry
