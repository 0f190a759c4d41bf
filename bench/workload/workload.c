/* The benchmarks' workloads, one static binary (it also runs in a container
 * whose image has no C library):
 *   workload ioprio N    N ioprio_set calls, each one capability check
 *                        (CAP_SYS_ADMIN, granted to root); prints ns per call
 *   workload exec N      N fork+exec+wait of "workload noop"; prints ns each
 *   workload storm S     fork+exec+wait of "workload noop" for S seconds, as
 *                        fast as it goes; prints the number done
 *   workload noop        exits at once */
#define _GNU_SOURCE
#include <errno.h>
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

static long count_arg(int argc, char** argv, long fallback) {
  if (argc < 3) return fallback;
  char* end = NULL;
  long value = strtol(argv[2], &end, 10);
  if (*end != '\0' || value <= 0) {
    fprintf(stderr, "workload: %s is not a positive count\n", argv[2]);
    exit(2);
  }
  return value;
}

/* The RT class asks for CAP_SYS_ADMIN first: one check per call where the
 * caller holds it (without it, the kernel asks for CAP_SYS_NICE too). A
 * refusal still made its checks, so it is counted, not fatal; anything else
 * is. */
static int run_ioprio(long n) {
  long refused = 0;
  double start = now_ns();

  for (long i = 0; i < n; i++) {
    if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_RT, 4)) != 0) {
      if (errno != EPERM) {
        perror("workload: ioprio_set");
        return 1;
      }
      refused++;
    }
  }
  printf("%.2f\n", (now_ns() - start) / (double)n);
  if (refused != 0) fprintf(stderr, "workload: %ld of %ld calls refused (no CAP_SYS_ADMIN)\n", refused, n);
  return 0;
}

static int spawn_noop(const char* self) {
  pid_t pid = fork();

  if (pid < 0) {
    perror("workload: fork");
    return -1;
  }
  if (pid == 0) {
    execl(self, "workload", "noop", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "workload: the no-op child failed\n");
    return -1;
  }
  return 0;
}

static int run_exec(const char* self, long n) {
  double start = now_ns();

  for (long i = 0; i < n; i++)
    if (spawn_noop(self) != 0) return 1;
  printf("%.2f\n", (now_ns() - start) / (double)n);
  return 0;
}

static int run_storm(const char* self, long seconds) {
  double end = now_ns() + (double)seconds * 1e9;
  long done = 0;

  while (now_ns() < end) {
    if (spawn_noop(self) != 0) return 1;
    done++;
  }
  printf("%ld\n", done);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "noop") == 0) return 0;
  if (argc >= 2 && strcmp(argv[1], "ioprio") == 0) return run_ioprio(count_arg(argc, argv, 1000000));
  if (argc >= 2 && strcmp(argv[1], "exec") == 0) return run_exec("/proc/self/exe", count_arg(argc, argv, 1000));
  if (argc >= 2 && strcmp(argv[1], "storm") == 0) return run_storm("/proc/self/exe", count_arg(argc, argv, 5));
  fprintf(stderr, "usage: workload ioprio N | exec N | storm SECONDS | noop\n");
  return 2;
}
