// The YAML configuration file (--config): every key, every value check.
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "app/config_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Owner-only, as the loader demands; a memfd keeps it off the disk.
  const int fd = ::memfd_create("privsentry.yaml", MFD_CLOEXEC);
  if (fd < 0 || ::fchmod(fd, 0600) != 0 || ::write(fd, data, size) != static_cast<ssize_t>(size)) {
    if (fd >= 0) {
      ::close(fd);
    }
    return 0;
  }
  privsentry::ConfigValues values;
  (void)privsentry::load_config_file("/proc/self/fd/" + std::to_string(fd), values);
  ::close(fd);
  return 0;
}
