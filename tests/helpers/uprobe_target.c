// SPDX-License-Identifier: Apache-2.0
/* uprobe_target A B STRING [N]: calls tg_uprobe_target(A, B, STRING) N times
 * (default 1); the function the uprobe tests probe. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline, used)) int tg_uprobe_target(int a, long b, const char *s)
{
	/* keep the call and its arguments observable to the optimizer's eyes */
	__asm__ volatile("" : : "r"(a), "r"(b), "r"(s) : "memory");
	return a + (int)b;
}

int main(int argc, char **argv)
{
	int n;
	long sum = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: uprobe_target A B STRING [N]\n");
		return 2;
	}
	n = argc > 4 ? atoi(argv[4]) : 1;
	for (int i = 0; i < n; i++)
		sum += tg_uprobe_target(atoi(argv[1]), atol(argv[2]), argv[3]);
	return sum == -12345 ? 1 : 0;
}
