// SPDX-License-Identifier: Apache-2.0
/* uprobe_target A B STRING [N [thread]]: calls tg_uprobe_target(A, B, STRING)
 * N times (default 1), from a second thread when "thread" is given; the
 * function the uprobe tests probe. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline, used)) int tg_uprobe_target(int a, long b, const char *s)
{
	/* keep the call and its arguments observable to the optimizer's eyes */
	__asm__ volatile("" : : "r"(a), "r"(b), "r"(s) : "memory");
	return a + (int)b;
}

static char **args;

static void *calls(void *sum)
{
	int n = args[4] ? atoi(args[4]) : 1;

	for (int i = 0; i < n; i++)
		*(long *)sum += tg_uprobe_target(atoi(args[1]), atol(args[2]), args[3]);
	return NULL;
}

int main(int argc, char **argv)
{
	long sum = 0;
	pthread_t t;

	if (argc < 4) {
		fprintf(stderr, "usage: uprobe_target A B STRING [N [thread]]\n");
		return 2;
	}
	args = argv;
	if (argc > 5 && !strcmp(argv[5], "thread")) {
		if (pthread_create(&t, NULL, calls, &sum) || pthread_join(t, NULL))
			return 3;
	} else {
		calls(&sum);
	}
	return sum == -12345 ? 1 : 0;
}
