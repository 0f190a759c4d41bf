#pragma once

#include <optional>

#include "privsentry/sink.hpp"

namespace privsentry {

WallTime record_time(const OutputRecord& record);

// Passes on the records whose time lies in [from, until].
class TimeWindowSink final : public Sink {
 public:
  TimeWindowSink(Sink& inner, std::optional<WallTime> from, std::optional<WallTime> until)
      : inner_(inner), from_(from), until_(until) {}
  void write(const OutputRecord& record) override;
  void flush() override { inner_.flush(); }

 private:
  Sink& inner_;
  std::optional<WallTime> from_;
  std::optional<WallTime> until_;
};

}  // namespace privsentry
