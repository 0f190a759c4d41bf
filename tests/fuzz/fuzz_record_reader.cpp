// A record file (privsentry run --record) read back by replay: every block is
// checked before its entries are used, whatever the file holds.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "record/record_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The reader takes a path; a memfd gives one without touching the disk.
  const int fd = ::memfd_create("record", MFD_CLOEXEC);
  if (fd < 0 || ::write(fd, data, size) != static_cast<ssize_t>(size)) {
    return 0;
  }
  {
    privsentry::RecordReader reader("/proc/self/fd/" + std::to_string(fd));
    for (int i = 0; i < 100000 && reader.next(); ++i) {
    }
  }
  ::close(fd);
  return 0;
}
