#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "output/output_spec.hpp"
#include "output/spool.hpp"
#include "output/transport.hpp"

namespace privsentry {

struct WorkerOptions {
  std::size_t queue_capacity = 8192;
  std::size_t batch = 100;
  std::chrono::milliseconds linger{50};
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{60000};
};

// Live numbers for /metrics, written by the worker, read by anyone.
struct SinkCounters {
  std::atomic<std::uint64_t> queued{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> lost{0};
  std::atomic<std::uint64_t> spool_bytes{0};
  std::atomic<std::uint64_t> spool_records{0};
  std::atomic<bool> up{true};
};

// Records a sink lost, and why: reported as a delivery-loss record.
struct LossReport {
  std::string sink;
  std::string uri;
  std::string reason;
  std::uint64_t records = 0;
  std::int64_t oldest_ms = 0;
  std::int64_t newest_ms = 0;
};

// One sink: a bounded queue, its own thread, a transport and, for network
// sinks, a disk spool. The event loop only ever offers records (never
// blocks); the thread delivers in batches, spools what cannot be delivered,
// retries with exponential backoff and jitter, and replays the spool in
// order once the receiver is back.
class DeliveryWorker {
 public:
  DeliveryWorker(OutputSpec spec, std::unique_ptr<Transport> transport, std::unique_ptr<Spool> spool,
                 WorkerOptions options);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  // Non-blocking. A full queue loses the record, counted and reported.
  void offer(std::shared_ptr<const nlohmann::json> record);
  void request_reopen();
  // Delivers (or, for a spooling sink, spools) what is queued, then stops;
  // what a non-spooling sink cannot deliver by the deadline is lost, counted.
  void stop(std::chrono::milliseconds deadline);

  std::vector<LossReport> take_losses();
  [[nodiscard]] std::optional<std::string> fatal_error() const;
  [[nodiscard]] const OutputSpec& spec() const { return spec_; }
  [[nodiscard]] const SinkCounters& counters() const { return counters_; }

 private:
  using Batch = std::vector<std::shared_ptr<const nlohmann::json>>;

  void run(const std::stop_token& stop);
  bool deliver(const Batch& batch);
  void spool_batch(const Batch& batch);
  void drain_spool();
  void lose(const std::string& reason, std::uint64_t records, std::int64_t oldest_ms, std::int64_t newest_ms);
  std::chrono::milliseconds next_backoff();
  void update_spool_counters();

  OutputSpec spec_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Spool> spool_;
  WorkerOptions options_;
  SinkCounters counters_;

  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<std::shared_ptr<const nlohmann::json>> queue_;
  bool reopen_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  std::map<std::string, LossReport> losses_;
  std::optional<std::string> fatal_;

  // Worker thread only.
  std::chrono::steady_clock::time_point retry_at_;
  unsigned failures_in_row_ = 0;
  std::mt19937 jitter_;
  std::string last_error_;

  std::jthread thread_;
};

}  // namespace privsentry
