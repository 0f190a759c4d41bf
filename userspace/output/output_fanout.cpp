#include "output/output_fanout.hpp"

#include <algorithm>

namespace privsentry {

OutputFanout::OutputFanout(NativeJsonEncoder encoder, std::vector<std::unique_ptr<DeliveryWorker>> workers)
    : encoder_(std::move(encoder)), workers_(std::move(workers)) {
  for (auto& worker : workers_) {
    worker->start();
  }
}

OutputFanout::~OutputFanout() { stop(std::chrono::milliseconds(0)); }

void OutputFanout::write(const OutputRecord& record) {
  auto native = std::make_shared<const nlohmann::json>(encoder_.encode(record));
  for (auto& worker : workers_) {
    worker->offer(native);
  }
}

Expected<bool> OutputFanout::replace(const std::vector<OutputSpec>& specs, const SinkSettings& settings,
                                     std::chrono::milliseconds deadline) {
  std::vector<std::unique_ptr<DeliveryWorker>> next;
  std::vector<std::unique_ptr<DeliveryWorker>> current;
  {
    std::lock_guard lock(mutex_);
    current = std::move(workers_);
  }
  for (const auto& spec : specs) {
    const auto same = std::find_if(current.begin(), current.end(),
                                   [&](const auto& worker) { return worker && worker->spec().uri == spec.uri; });
    if (same != current.end()) {
      (*same)->request_reopen();
      next.push_back(std::move(*same));
      continue;
    }
    auto made = make_worker(spec, settings);
    if (!made) {
      // Keep what ran before, untouched, and say why.
      for (auto& worker : next) {
        current.push_back(std::move(worker));
      }
      std::lock_guard lock(mutex_);
      workers_ = std::move(current);
      return made.error();
    }
    (*made)->start();
    next.push_back(std::move(*made));
  }
  {
    std::lock_guard lock(mutex_);
    workers_ = std::move(next);
  }
  for (auto& old : current) {
    if (old) {
      old->stop(deadline);
      auto losses = old->take_losses();
      retired_losses_.insert(retired_losses_.end(), losses.begin(), losses.end());
    }
  }
  return true;
}

void OutputFanout::for_each_sink(const std::function<void(const OutputSpec&, const SinkCounters&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& worker : workers_) {
    visit(worker->spec(), worker->counters());
  }
}

void OutputFanout::reopen() {
  for (auto& worker : workers_) {
    worker->request_reopen();
  }
}

void OutputFanout::stop(std::chrono::milliseconds deadline) {
  for (auto& worker : workers_) {
    worker->stop(deadline);
  }
}

std::vector<LossReport> OutputFanout::take_losses() {
  std::vector<LossReport> out = std::exchange(retired_losses_, {});
  for (auto& worker : workers_) {
    auto losses = worker->take_losses();
    out.insert(out.end(), losses.begin(), losses.end());
  }
  return out;
}

std::optional<std::string> OutputFanout::fatal_error() const {
  for (const auto& worker : workers_) {
    if (auto error = worker->fatal_error()) {
      return worker->spec().name() + ": " + *error;
    }
  }
  return std::nullopt;
}

}  // namespace privsentry
