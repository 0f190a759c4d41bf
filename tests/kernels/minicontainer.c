/* minicontainer: what a container runtime does, reduced to what the kernel
 * matrix needs, and static so that a busybox initramfs can run it.
 *
 *   minicontainer [--cgroup DIR] [--default-caps] -- PROGRAM [ARG...]
 *
 * Joins the cgroup DIR (its cgroup.procs), enters new mount, pid and uts
 * namespaces and forks; the child drops to Docker's default capabilities when
 * asked (bounding set first, then capset) and only then execs PROGRAM. As
 * with runc, nothing else is exec'd inside the container, so the sensor sees
 * the workload's credentials and no runtime's. Exits with the child's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Docker's default set: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID,
 * SETUID, SETPCAP, NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE,
 * SETFCAP. */
static const int kDefaults[] = {0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31};

static int fail(const char* what) {
  fprintf(stderr, "minicontainer: %s: %s\n", what, strerror(errno));
  return 125;
}

static int is_default(int cap) {
  for (size_t i = 0; i < sizeof(kDefaults) / sizeof(kDefaults[0]); i++)
    if (kDefaults[i] == cap) return 1;
  return 0;
}

static int drop_to_defaults(void) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof(data));
  for (int cap = 0; cap < 64; cap++) {
    if (is_default(cap)) continue;
    /* Past the kernel's last capability the call fails with EINVAL. */
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -1;
  }
  for (size_t i = 0; i < sizeof(kDefaults) / sizeof(kDefaults[0]); i++) {
    int cap = kDefaults[i];
    data[cap / 32].effective |= 1U << (cap % 32);
    data[cap / 32].permitted |= 1U << (cap % 32);
  }
  return (int)syscall(SYS_capset, &header, data);
}

int main(int argc, char** argv) {
  const char* cgroup = NULL;
  int defaults = 0;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "--cgroup") == 0 && i + 1 < argc)
      cgroup = argv[++i];
    else if (strcmp(argv[i], "--default-caps") == 0)
      defaults = 1;
    else {
      fprintf(stderr, "usage: minicontainer [--cgroup DIR] [--default-caps] -- PROGRAM [ARG...]\n");
      return 125;
    }
  }
  if (i + 1 >= argc) {
    fprintf(stderr, "minicontainer: no program\n");
    return 125;
  }
  char** program = argv + i + 1;
  if (cgroup) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) return fail(path);
    close(fd);
  }
  if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS) != 0) return fail("unshare");
  /* Mounts made inside must not reach the host. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return fail("making / private");
  pid_t child = fork();
  if (child < 0) return fail("fork");
  if (child == 0) {
    if (defaults && drop_to_defaults() != 0) _exit(fail("dropping capabilities"));
    execvp(program[0], program);
    _exit(fail(program[0]));
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return fail("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
