// SPDX-License-Identifier: Apache-2.0
/* syscall_storm N [PATH [RATE]]: openat(PATH) N times (the path need not
 * exist), closing what opens, at most RATE calls per second when given.
 * PATH "getppid" (no slash), or syscall_storm --getppid N: getppid() N
 * times instead, the cheapest syscall, to flood a policy faster than any
 * agent reads (N 0 with --getppid: until killed). syscall_storm --read N
 * PATH: pread() one byte of PATH N times (the file-permission hooks of
 * every read, without the open's). Prints the elapsed
 * seconds and the CPU seconds it used (user + system: what the calls cost
 * it, whatever else the machine runs). The load of the policy tests and
 * benchmarks. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int ppid = argc > 1 && !strcmp(argv[1], "--getppid");
	int rd = argc > 1 && !strcmp(argv[1], "--read"), rfd = -1;
	struct timespec a, b, now;
	const char *path;
	struct rusage ru;
	double rate;
	long n;

	if (ppid || rd) {
		argv++;
		argc--;
	}
	n = argc > 1 ? atol(argv[1]) : 1000000;
	path = argc > 2 ? argv[2] : "/nonexistent/syscall-storm";
	rate = argc > 3 ? atof(argv[3]) : 0;
	if (!strcmp(path, "getppid"))
		ppid = 1;
	if (rd) {
		char c;

		rfd = open(path, O_RDONLY);
		if (rfd < 0) {
			perror(path);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++)
			if (pread(rfd, &c, 1, 0) < 0) {
				perror("pread");
				return 1;
			}
		goto done;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; (ppid && !n) || i < n; i++) {
		/* raw syscalls: glibc may pick open for openat, or cache getppid */
		long fd = ppid ? syscall(SYS_getppid) : syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);

		if (fd >= 0 && !ppid)
			close((int)fd);
		if (rate > 0 && i % 1000 == 999) {
			double due = (double)(i + 1) / rate, el;

			clock_gettime(CLOCK_MONOTONIC, &now);
			el = (double)(now.tv_sec - a.tv_sec) + (double)(now.tv_nsec - a.tv_nsec) / 1e9;
			if (due > el)
				usleep((useconds_t)((due - el) * 1e6));
		}
	}
done:
	clock_gettime(CLOCK_MONOTONIC, &b);
	getrusage(RUSAGE_SELF, &ru);
	printf("%.6f %.6f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return 0;
}
