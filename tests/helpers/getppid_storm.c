// SPDX-License-Identifier: Apache-2.0
/* getppid_storm SECONDS: getppid() as fast as one core allows for SECONDS
 * (default 3); prints the calls made. The flood of bench/export_agent.sh:
 * a policy posting every call is the densest stream of events the agent
 * can be given. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3;
	struct timespec a, b;
	long n = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (;;) {
		for (int i = 0; i < 1000; i++)
			syscall(SYS_getppid);	/* raw: never answered from a cache */
		n += 1000;
		clock_gettime(CLOCK_MONOTONIC, &b);
		if ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 >= secs)
			break;
	}
	printf("%ld\n", n);
	return 0;
}
