/* The benchmarks' workloads, one static binary (it also runs in a container
 * whose image has no C library):
 *   workload ioprio N    N ioprio_set calls, each one capability check
 *                        (CAP_SYS_ADMIN, granted to root); prints ns per call
 *   workload exec N      N fork+exec+wait of "workload noop"; prints ns each
 *   workload storm S     fork+exec+wait of "workload noop-check" for S
 *                        seconds, as fast as it goes (each child makes one
 *                        capability check); prints the number done
 *   workload ioprio-join PATH N
 *                        N ioprio_set calls, then writes its pid to PATH (a
 *                        cgroup.procs file), takes its own mount namespace
 *                        and execs "workload ioprio N", the same task (an
 *                        e2e test's)
 *   workload ioprio-join-host PATH N
 *                        the same without the mount namespace: what runc's
 *                        child does when it re-execs in the container's
 *                        cgroup
 *   workload noop        exits at once
 *   workload noop-check  one ioprio_set, then exits */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IOPRIO_CLASS_RT 1
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_PRIO_VALUE(class, data) (((class) << 13) | (data))

static double now_ns(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static long count_from(const char* text) {
  char* end = NULL;
  long value = strtol(text, &end, 10);
  if (*end != '\0' || value <= 0) {
    fprintf(stderr, "workload: %s is not a positive count\n", text);
    exit(2);
  }
  return value;
}

/* The RT class asks for CAP_SYS_ADMIN first: one check per call where the
 * caller holds it (without it, the kernel asks for CAP_SYS_NICE too). A
 * refusal still made its checks, so it is counted, not fatal; anything else
 * is. */
static int ioprio_calls(long n, long* refused) {
  for (long i = 0; i < n; i++) {
    if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_RT, 4)) != 0) {
      if (errno != EPERM) {
        perror("workload: ioprio_set");
        return -1;
      }
      (*refused)++;
    }
  }
  return 0;
}

static int run_ioprio(long n) {
  long refused = 0;
  double start = now_ns();

  if (ioprio_calls(n, &refused) != 0) return 1;
  printf("%.2f\n", (now_ns() - start) / (double)n);
  if (refused != 0) fprintf(stderr, "workload: %ld of %ld calls refused (no CAP_SYS_ADMIN)\n", refused, n);
  return 0;
}

/* After the move the task takes a mount namespace of its own and execs
 * there: a program exec'd on the host that execs again in the host's mount
 * namespace is taken for a runtime's set-up (runc init is one), whose checks
 * are not the container's; one that leaves the host's namespaces is a
 * container's process. */
static int run_ioprio_join(const char* procs, const char* count, int own_mount_namespace) {
  long refused = 0;
  char pid[32];
  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  int fd;

  /* The real path, not /proc/self/exe: the program's name (comm) comes from
   * the file name, and the test asks for "workload". */
  if (len <= 0) {
    perror("workload: /proc/self/exe");
    return 1;
  }
  self[len] = '\0';
  if (ioprio_calls(count_from(count), &refused) != 0) return 1;
  fd = open(procs, O_WRONLY | O_CLOEXEC);
  snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
  if (fd < 0 || write(fd, pid, strlen(pid)) < 0) {
    perror("workload: joining the cgroup");
    return 1;
  }
  close(fd);
  if (own_mount_namespace && unshare(CLONE_NEWNS) != 0) {
    perror("workload: unshare(CLONE_NEWNS)");
    return 1;
  }
  execl(self, "workload", "ioprio", count, (char*)NULL);
  perror("workload: exec");
  return 1;
}

static int spawn(const char* self, const char* mode) {
  pid_t pid = fork();

  if (pid < 0) {
    perror("workload: fork");
    return -1;
  }
  if (pid == 0) {
    execl(self, "workload", mode, (char*)NULL);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "workload: the %s child failed\n", mode);
    return -1;
  }
  return 0;
}

static int run_exec(const char* self, long n) {
  double start = now_ns();

  for (long i = 0; i < n; i++)
    if (spawn(self, "noop") != 0) return 1;
  printf("%.2f\n", (now_ns() - start) / (double)n);
  return 0;
}

static int run_storm(const char* self, long seconds) {
  double end = now_ns() + (double)seconds * 1e9;
  long done = 0;

  while (now_ns() < end) {
    if (spawn(self, "noop-check") != 0) return 1;
    done++;
  }
  printf("%ld\n", done);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc >= 2 ? argv[1] : "";
  long refused = 0;

  if (strcmp(mode, "noop") == 0) return 0;
  if (strcmp(mode, "noop-check") == 0) return ioprio_calls(1, &refused) == 0 ? 0 : 1;
  if (strcmp(mode, "ioprio") == 0 && argc == 3) return run_ioprio(count_from(argv[2]));
  if (strcmp(mode, "exec") == 0 && argc == 3) return run_exec("/proc/self/exe", count_from(argv[2]));
  if (strcmp(mode, "storm") == 0 && argc == 3) return run_storm("/proc/self/exe", count_from(argv[2]));
  if (strcmp(mode, "ioprio-join") == 0 && argc == 4) return run_ioprio_join(argv[2], argv[3], 1);
  if (strcmp(mode, "ioprio-join-host") == 0 && argc == 4) return run_ioprio_join(argv[2], argv[3], 0);
  fprintf(
      stderr,
      "usage: workload ioprio N | exec N | storm SECONDS | ioprio-join[-host] CGROUP_PROCS N | noop | noop-check\n");
  return 2;
}
