#include "sinks/time_window_sink.hpp"

namespace privsentry {

WallTime record_time(const OutputRecord& record) {
  return std::visit([](const auto& r) { return r.time; }, record);
}

void TimeWindowSink::write(const OutputRecord& record) {
  const auto time = record_time(record);
  if ((from_ && time < *from_) || (until_ && time > *until_)) {
    return;
  }
  inner_.write(record);
}

}  // namespace privsentry
