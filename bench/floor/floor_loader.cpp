// privsentry_bench_floor: loads and attaches the empty programs of
// floor.bpf.c, says "ready" on stdout, and holds them until SIGTERM or SIGINT.
#include <bpf/libbpf.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "privsentry_floor.skel.h"

namespace
{

struct SkeletonDeleter {
	void operator()(privsentry_floor *skel) const
	{
		privsentry_floor__destroy(skel);
	}
};

} // namespace

int main()
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, nullptr);

	std::unique_ptr<privsentry_floor, SkeletonDeleter> skel(privsentry_floor__open_and_load());
	if (!skel) {
		std::fprintf(stderr, "privsentry_bench_floor: cannot load the floor programs: %s\n",
			     std::strerror(errno));
		return 1;
	}
	if (const int err = privsentry_floor__attach(skel.get()); err != 0) {
		std::fprintf(stderr, "privsentry_bench_floor: cannot attach the floor programs: %s\n",
			     std::strerror(-err));
		return 1;
	}
	std::printf("ready\n");
	std::fflush(stdout);
	int signo = 0;
	sigwait(&stop, &signo);
	return 0;
}
