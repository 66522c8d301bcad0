// SPDX-License-Identifier: Apache-2.0
/* syscall_storm N [PATH [RATE]]: openat(PATH) N times (the path need not
 * exist), closing what opens, at most RATE calls per second when given;
 * prints the elapsed seconds. The hot-syscall load of the policy benchmark.
 * syscall_storm --getppid N: getppid() N times instead (N 0: until killed),
 * the cheapest syscall, to flood a policy faster than any agent reads. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int getppid_mode = argc > 1 && !strcmp(argv[1], "--getppid");
	long n, i;
	const char *path;
	double rate;
	struct timespec a, b, now;

	if (getppid_mode) {
		argv++;
		argc--;
	}
	n = argc > 1 ? atol(argv[1]) : 1000000;
	path = argc > 2 ? argv[2] : "/nonexistent/syscall-storm";
	rate = argc > 3 ? atof(argv[3]) : 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (getppid_mode) {
		/* raw syscall: glibc must not cache it */
		for (i = 0; !n || i < n; i++)
			syscall(SYS_getppid);
		goto done;
	}
	for (i = 0; i < n; i++) {
		/* raw syscall: glibc may pick openat or open; the policy hooks openat */
		long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);

		if (fd >= 0)
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
	printf("%.3f\n", (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
