#include "output/delivery_worker.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "output/output_fanout.hpp"

namespace privsentry {
namespace {

using namespace std::chrono_literals;

// A receiver the test turns on and off; it keeps what it got.
class ScriptedTransport final : public Transport {
 public:
  DeliveryResult deliver(const std::vector<std::shared_ptr<const nlohmann::json>>& records) override {
    std::lock_guard lock(mutex_);
    DeliveryResult result;
    ++attempts_;
    if (!up_) {
      result.error = "receiver down";
      result.fatal = fatal_;
      return result;
    }
    for (const auto& r : records) {
      got_.push_back(r->at("seq").get<int>());
    }
    result.ok = true;
    return result;
  }
  void set_up(bool up) {
    std::lock_guard lock(mutex_);
    up_ = up;
  }
  void set_fatal() {
    std::lock_guard lock(mutex_);
    up_ = false;
    fatal_ = true;
  }
  std::vector<int> got() {
    std::lock_guard lock(mutex_);
    return got_;
  }
  int attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

 private:
  std::mutex mutex_;
  bool up_ = true;
  bool fatal_ = false;
  int attempts_ = 0;
  std::vector<int> got_;
};

std::shared_ptr<const nlohmann::json> record(int seq) {
  return std::make_shared<const nlohmann::json>(
      nlohmann::json{{"seq", seq}, {"kind", "finding"}, {"time", "2026-12-04T16:00:00.000000Z"}});
}

WorkerOptions fast() {
  WorkerOptions options;
  options.retry_initial = 20ms;
  options.retry_max = 100ms;
  options.linger = 5ms;
  options.batch = 8;
  return options;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

std::vector<int> range(int from, int to) {
  std::vector<int> out;
  for (int i = from; i < to; ++i) {
    out.push_back(i);
  }
  return out;
}

class DeliveryWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) / ("worker-" + std::to_string(::getpid()) + "-" +
                                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<DeliveryWorker> worker(ScriptedTransport*& transport, bool spool, WorkerOptions options = fast()) {
    auto owned = std::make_unique<ScriptedTransport>();
    transport = owned.get();
    std::unique_ptr<Spool> disk;
    if (spool) {
      auto opened = Spool::open(SpoolOptions{dir_, 1U << 20U});
      disk = std::move(opened.value());
    }
    auto made = std::make_unique<DeliveryWorker>(*parse_output_uri("syslog+tcp://receiver:514"), std::move(owned),
                                                 std::move(disk), options);
    made->start();
    return made;
  }

  std::filesystem::path dir_;
};

TEST_F(DeliveryWorkerTest, OutageIsSpooledAndReplayedInOrderOnce) {
  ScriptedTransport* transport = nullptr;
  auto w = worker(transport, true);
  for (int i = 0; i < 20; ++i) {
    w->offer(record(i));
  }
  ASSERT_TRUE(eventually([&] { return transport->got().size() == 20; }));
  transport->set_up(false);
  for (int i = 20; i < 60; ++i) {
    w->offer(record(i));
  }
  ASSERT_TRUE(eventually([&] { return w->counters().spool_records.load() == 40; }));
  EXPECT_FALSE(w->counters().up.load());
  transport->set_up(true);
  for (int i = 60; i < 70; ++i) {
    w->offer(record(i));
  }
  ASSERT_TRUE(eventually([&] { return transport->got().size() == 70; })) << transport->got().size();
  EXPECT_EQ(transport->got(), range(0, 70));
  // The spool drops a batch once the transport has taken it: a moment after.
  EXPECT_TRUE(eventually([&] { return w->counters().spool_records.load() == 0; }))
      << w->counters().spool_records.load();
  EXPECT_TRUE(eventually([&] { return w->counters().delivered.load() == 70; })) << w->counters().delivered.load();
  EXPECT_EQ(transport->got(), range(0, 70));
  EXPECT_TRUE(w->take_losses().empty());
}

TEST_F(DeliveryWorkerTest, StopSpoolsWhatItCannotDeliverAndTheNextRunDeliversIt) {
  {
    ScriptedTransport* transport = nullptr;
    auto w = worker(transport, true);
    transport->set_up(false);
    for (int i = 0; i < 30; ++i) {
      w->offer(record(i));
    }
    w->stop(200ms);
    EXPECT_TRUE(transport->got().empty());
    EXPECT_TRUE(w->take_losses().empty()) << "spooled, not lost";
  }
  ScriptedTransport* transport = nullptr;
  auto w = worker(transport, true);
  w->offer(record(30));
  ASSERT_TRUE(eventually([&] { return transport->got().size() == 31; }));
  EXPECT_EQ(transport->got(), range(0, 31));
}

TEST_F(DeliveryWorkerTest, FullQueueLosesRecordsAndSaysSo) {
  WorkerOptions options = fast();
  options.queue_capacity = 4;
  ScriptedTransport* transport = nullptr;
  auto w = worker(transport, false, options);
  transport->set_up(false);
  for (int i = 0; i < 50; ++i) {
    w->offer(record(i));
  }
  ASSERT_TRUE(eventually([&] { return w->counters().lost.load() > 0; }));
  const auto losses = w->take_losses();
  ASSERT_FALSE(losses.empty());
  EXPECT_EQ(losses[0].reason, "queue full");
  EXPECT_EQ(losses[0].uri, "syslog+tcp://receiver:514");
  EXPECT_GT(losses[0].records, 30U);
  transport->set_up(true);
  w->stop(2s);
}

TEST_F(DeliveryWorkerTest, WithoutSpoolABatchIsRetriedUntilItGoesThrough) {
  ScriptedTransport* transport = nullptr;
  auto w = worker(transport, false);
  transport->set_up(false);
  for (int i = 0; i < 5; ++i) {
    w->offer(record(i));
  }
  ASSERT_TRUE(eventually([&] { return transport->attempts() >= 3; }));
  transport->set_up(true);
  ASSERT_TRUE(eventually([&] { return transport->got().size() == 5; }));
  EXPECT_EQ(transport->got(), range(0, 5));
}

TEST_F(DeliveryWorkerTest, NonSpoolingSinkLosesWhatTheStopDeadlineLeaves) {
  ScriptedTransport* transport = nullptr;
  auto w = worker(transport, false);
  transport->set_up(false);
  for (int i = 0; i < 5; ++i) {
    w->offer(record(i));
  }
  w->stop(100ms);
  const auto losses = w->take_losses();
  ASSERT_EQ(losses.size(), 1U);
  EXPECT_EQ(losses[0].reason, "not delivered before exit");
  EXPECT_EQ(losses[0].records, 5U);
}

TEST_F(DeliveryWorkerTest, FatalSinkIsReported) {
  ScriptedTransport* transport = nullptr;
  auto w = worker(transport, false);
  transport->set_fatal();
  w->offer(record(1));
  ASSERT_TRUE(eventually([&] { return w->fatal_error().has_value(); }));
  EXPECT_EQ(*w->fatal_error(), "receiver down");
}

}  // namespace
}  // namespace privsentry
