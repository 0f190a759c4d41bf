#pragma once

#include <cstdio>
#include <string>

#include "privsentry/sink.hpp"
#include "sinks/native_json_encoder.hpp"

namespace privsentry {

// One JSON object per line to a stream (stdout by default), flushed per
// record so a consumer sees a finding as soon as it is raised.
class NdjsonSink final : public Sink {
 public:
  NdjsonSink(std::FILE* stream, std::string name, NativeJsonEncoder encoder);

  void write(const OutputRecord& record) override;
  void flush() override;

 private:
  std::FILE* stream_;
  std::string name_;
  NativeJsonEncoder encoder_;
};

}  // namespace privsentry
