#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <functional>
#include <mutex>

#include "output/delivery_worker.hpp"
#include "output/sink_factory.hpp"
#include "privsentry/sink.hpp"
#include "sinks/native_json_encoder.hpp"

namespace privsentry {

// The sensor's one Sink: encodes each record once, in the native schema,
// and offers it to every configured sink's worker without waiting for any.
class OutputFanout final : public Sink {
 public:
  OutputFanout(NativeJsonEncoder encoder, std::vector<std::unique_ptr<DeliveryWorker>> workers);
  ~OutputFanout() override;

  void write(const OutputRecord& record) override;
  void flush() override {}

  // Replaces the sinks (SIGHUP with a changed configuration): sinks whose
  // URI is unchanged are kept and reopened, the others stopped after their
  // queue is delivered or spooled, new ones made and started.
  Expected<bool> replace(const std::vector<OutputSpec>& specs, const SinkSettings& settings,
                         std::chrono::milliseconds deadline);
  void reopen();
  void stop(std::chrono::milliseconds deadline);

  std::vector<LossReport> take_losses();
  [[nodiscard]] std::optional<std::string> fatal_error() const;
  // Calls visit for every sink, from any thread (for /metrics).
  void for_each_sink(const std::function<void(const OutputSpec&, const SinkCounters&)>& visit) const;

 private:
  NativeJsonEncoder encoder_;
  // Changed only on the event loop's thread, under the mutex, so that
  // for_each_sink can read from another.
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<DeliveryWorker>> workers_;
  std::vector<LossReport> retired_losses_;
};

}  // namespace privsentry
