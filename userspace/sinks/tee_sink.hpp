#pragma once

#include "privsentry/sink.hpp"

namespace privsentry {

// Writes every record to two sinks, first then second.
class TeeSink final : public Sink {
 public:
  TeeSink(Sink& first, Sink& second) : first_(first), second_(second) {}
  void write(const OutputRecord& record) override {
    first_.write(record);
    second_.write(record);
  }
  void flush() override {
    first_.flush();
    second_.flush();
  }

 private:
  Sink& first_;
  Sink& second_;
};

}  // namespace privsentry
