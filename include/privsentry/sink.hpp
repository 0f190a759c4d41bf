#pragma once

#include "privsentry/output_record.hpp"

namespace privsentry {

// Where records go. write() must not block the kernel event path for long.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const OutputRecord& record) = 0;
  virtual void flush() = 0;
};

}  // namespace privsentry
