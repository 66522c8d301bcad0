// SPDX-License-Identifier: Apache-2.0
/* proc_hold N: start N processes (each execs this binary as "proc_hold -",
 * which sleeps until killed), print "ready" once every one has exec'd, and
 * on SIGTERM kill and reap them all. The memory benchmark's live processes. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0, i;
	sigset_t set, old;
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t *pids;
	int p[2], sig;
	char c;

	if (argc > 1 && !strcmp(argv[1], "-"))
		for (;;)
			pause();
	if (n <= 0 || len <= 0 || !(pids = calloc((size_t)n, sizeof(*pids))) || pipe2(p, O_CLOEXEC)) {
		fprintf(stderr, "usage: proc_hold N\n");
		return 2;
	}
	self[len] = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			close(p[0]);
			/* the pipe's write end closes at exec */
			execl(self, self, "-", (char *)NULL);
			_exit(127);
		}
		if (pids[i] < 0) {
			perror("proc_hold: fork");
			break;
		}
	}
	close(p[1]);
	while (read(p[0], &c, 1) > 0)
		;	/* EOF: every child has exec'd (or died) */
	printf("ready %ld\n", i);
	fflush(stdout);
	sigwait(&set, &sig);
	for (long k = 0; k < i; k++)
		kill(pids[k], SIGKILL);
	for (long k = 0; k < i; k++)
		waitpid(pids[k], NULL, 0);
	return 0;
}
