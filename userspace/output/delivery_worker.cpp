#include "output/delivery_worker.hpp"

#include <spdlog/spdlog.h>

#include "sinks/json_fields.hpp"
#include "sinks/native_json_encoder.hpp"
#include "util/text.hpp"

namespace privsentry {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t time_of(const nlohmann::json& record) { return record_time_ms(record); }

}  // namespace

DeliveryWorker::DeliveryWorker(OutputSpec spec, std::unique_ptr<Transport> transport, std::unique_ptr<Spool> spool,
                               WorkerOptions options)
    : spec_(std::move(spec)),
      transport_(std::move(transport)),
      spool_(std::move(spool)),
      options_(options),
      retry_at_(SteadyClock::now()),
      jitter_(std::random_device{}()) {
  update_spool_counters();
  if (spool_ && spool_->recovered_losses() > 0) {
    lose("torn records cut from the spool after a crash", spool_->recovered_losses(), 0, 0);
  }
}

DeliveryWorker::~DeliveryWorker() { stop(std::chrono::milliseconds(0)); }

void DeliveryWorker::start() {
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

void DeliveryWorker::offer(std::shared_ptr<const nlohmann::json> record) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < options_.queue_capacity && !fatal_) {
      queue_.push_back(std::move(record));
      counters_.queued.store(queue_.size(), std::memory_order_relaxed);
      wake_.notify_all();
      return;
    }
  }
  const auto time = time_of(*record);
  lose(fatal_ ? "the sink failed for good" : "queue full", 1, time, time);
}

void DeliveryWorker::request_reopen() {
  std::lock_guard lock(mutex_);
  reopen_ = true;
  wake_.notify_all();
}

void DeliveryWorker::stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = SteadyClock::now() + deadline;
    }
    wake_.notify_all();
  }
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::vector<LossReport> DeliveryWorker::take_losses() {
  std::lock_guard lock(mutex_);
  std::vector<LossReport> out;
  for (auto& [reason, report] : losses_) {
    out.push_back(std::move(report));
  }
  losses_.clear();
  return out;
}

std::optional<std::string> DeliveryWorker::fatal_error() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

void DeliveryWorker::lose(const std::string& reason, std::uint64_t records, std::int64_t oldest_ms,
                          std::int64_t newest_ms) {
  if (records == 0) {
    return;
  }
  counters_.lost.fetch_add(records, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  auto& report = losses_[reason];
  if (report.records == 0) {
    report.sink = spec_.name();
    report.uri = spec_.uri;
    report.reason = reason;
    report.oldest_ms = oldest_ms;
  }
  report.records += records;
  report.newest_ms = std::max(report.newest_ms, newest_ms);
  if (oldest_ms != 0 && (report.oldest_ms == 0 || oldest_ms < report.oldest_ms)) {
    report.oldest_ms = oldest_ms;
  }
}

std::chrono::milliseconds DeliveryWorker::next_backoff() {
  const auto shift = std::min(failures_in_row_, 16U);
  const auto base = std::min<std::chrono::milliseconds>(options_.retry_initial * (1LL << shift), options_.retry_max);
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(base.count()) * factor(jitter_)));
}

void DeliveryWorker::update_spool_counters() {
  if (spool_) {
    counters_.spool_bytes.store(spool_->bytes(), std::memory_order_relaxed);
    counters_.spool_records.store(spool_->records(), std::memory_order_relaxed);
  }
}

bool DeliveryWorker::deliver(const Batch& batch) {
  const auto result = transport_->deliver(batch);
  if (result.ok) {
    counters_.delivered.fetch_add(batch.size() - result.rejected, std::memory_order_relaxed);
    if (result.rejected > 0) {
      spdlog::warn("sink {}: {}", spec_.name(), result.error);
      lose("rejected by the receiver", result.rejected, time_of(*batch.front()), time_of(*batch.back()));
    }
    if (failures_in_row_ > 0) {
      spdlog::info("sink {}: delivering again", spec_.name());
    }
    failures_in_row_ = 0;
    counters_.up.store(true, std::memory_order_relaxed);
    return true;
  }
  counters_.failures.fetch_add(1, std::memory_order_relaxed);
  counters_.up.store(false, std::memory_order_relaxed);
  if (result.fatal) {
    std::lock_guard lock(mutex_);
    fatal_ = result.error;
  }
  // Say it once per outage, not once per retry.
  if (failures_in_row_ == 0 || result.error != last_error_) {
    spdlog::warn("sink {}: cannot deliver ({}){}", spec_.name(), escape_for_terminal(result.error, 300),
                 spool_ ? "; spooling to disk" : "");
  }
  last_error_ = result.error;
  retry_at_ = SteadyClock::now() + next_backoff();
  ++failures_in_row_;
  return false;
}

void DeliveryWorker::spool_batch(const Batch& batch) {
  std::vector<SpoolRecord> records;
  records.reserve(batch.size());
  for (const auto& record : batch) {
    records.push_back(SpoolRecord{time_of(*record), dump_safe(*record)});
  }
  auto dropped = spool_->append(records);
  if (!dropped) {
    spdlog::error("sink {}: spool: {}", spec_.name(), dropped.error().message);
    lose("the spool could not be written", batch.size(), time_of(*batch.front()), time_of(*batch.back()));
  } else if (dropped->records > 0) {
    spdlog::error("sink {}: spool full, the {} oldest records dropped", spec_.name(), dropped->records);
    lose("spool full: oldest records dropped", dropped->records, dropped->oldest_ms, dropped->newest_ms);
  }
  update_spool_counters();
}

void DeliveryWorker::drain_spool() {
  // A few batches per pass, so new records and stop requests are not kept
  // waiting behind a long backlog.
  for (int pass = 0; pass < 16 && !spool_->empty(); ++pass) {
    auto records = spool_->peek(options_.batch);
    if (!records) {
      spdlog::error("sink {}: spool: {}", spec_.name(), records.error().message);
      retry_at_ = SteadyClock::now() + next_backoff();
      return;
    }
    Batch batch;
    std::size_t unreadable = 0;
    for (const auto& record : *records) {
      auto parsed = nlohmann::json::parse(record.data, nullptr, false);
      if (parsed.is_discarded()) {
        ++unreadable;
        continue;
      }
      batch.push_back(std::make_shared<const nlohmann::json>(std::move(parsed)));
    }
    if (unreadable > 0) {
      lose("unreadable spool records", unreadable, 0, 0);
    }
    if (!batch.empty() && !deliver(batch)) {
      return;
    }
    auto consumed = spool_->consume(records->size());
    if (!consumed) {
      spdlog::error("sink {}: spool: {}", spec_.name(), consumed.error().message);
    }
    update_spool_counters();
  }
}

void DeliveryWorker::run(const std::stop_token& /*stop*/) {
  while (true) {
    Batch batch;
    bool reopen = false;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      const bool backlog = spool_ && !spool_->empty();
      const auto wake_at = backlog ? retry_at_ : SteadyClock::now() + std::chrono::hours(1);
      wake_.wait_until(lock, wake_at, [&] {
        return !queue_.empty() || stopping_ || reopen_ || (backlog && SteadyClock::now() >= retry_at_);
      });
      if (!queue_.empty() && queue_.size() < options_.batch && !stopping_) {
        // Let a burst gather into one batch.
        wake_.wait_for(lock, options_.linger, [&] { return queue_.size() >= options_.batch || stopping_; });
      }
      while (!queue_.empty() && batch.size() < options_.batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      counters_.queued.store(queue_.size(), std::memory_order_relaxed);
      reopen = std::exchange(reopen_, false);
      stopping = stopping_;
    }
    if (reopen) {
      transport_->reopen();
    }
    if (fatal_error()) {
      if (!batch.empty()) {
        lose("the sink failed for good", batch.size(), time_of(*batch.front()), time_of(*batch.back()));
      }
    } else if (spool_) {
      // Order is kept: while a backlog waits on disk, new records join it.
      if (!batch.empty() && (!spool_->empty() || SteadyClock::now() < retry_at_)) {
        spool_batch(batch);
        batch.clear();
      }
      if (!batch.empty() && !deliver(batch)) {
        spool_batch(batch);
      }
      if (!spool_->empty() && SteadyClock::now() >= retry_at_) {
        drain_spool();
      }
    } else if (!batch.empty()) {
      // No spool (stdout, file): hold the batch and retry until delivered, or
      // until the stop deadline.
      while (!deliver(batch) && !fatal_error()) {
        std::unique_lock lock(mutex_);
        if (stopping_ && SteadyClock::now() >= stop_deadline_) {
          lock.unlock();
          lose("not delivered before exit", batch.size(), time_of(*batch.front()), time_of(*batch.back()));
          break;
        }
        wake_.wait_until(lock, std::min(retry_at_, stopping_ ? stop_deadline_ : retry_at_),
                         [&] { return stopping_ && SteadyClock::now() >= stop_deadline_; });
      }
      if (fatal_error()) {
        lose("the sink failed for good", batch.size(), time_of(*batch.front()), time_of(*batch.back()));
      }
    }
    if (stopping) {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) {
        return;
      }
    }
  }
}

}  // namespace privsentry
