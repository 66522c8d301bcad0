// SPDX-License-Identifier: Apache-2.0
/*
 * Fileless execution for the tests:
 *   exec_fd memfd   BINARY [ARGS...]  copy BINARY into a memfd and exec it
 *   exec_fd deleted BINARY [ARGS...]  copy BINARY to a temp file, unlink it, exec it
 * Prints "ino=<inode>" on stderr before the exec.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static int copy(int from, int to)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (write(to, buf, (size_t)n) != n)
			return -1;
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct stat st;
	int src, fd;

	if (argc < 3) {
		fprintf(stderr, "usage: %s memfd|deleted BINARY [ARGS...]\n", argv[0]);
		return 2;
	}
	src = open(argv[2], O_RDONLY);
	if (src < 0) {
		perror(argv[2]);
		return 1;
	}
	if (!strcmp(argv[1], "memfd")) {
		fd = memfd_create("tg-fileless", 0);
	} else {
		char path[] = "/tmp/tg-deleted-XXXXXX";
		int w = mkstemp(path);

		if (w < 0 || fchmod(w, 0755)) {
			perror("mkstemp");
			return 1;
		}
		if (copy(src, w))
			return 1;
		close(w);
		/* reopen read-only: exec refuses files open for writing */
		fd = open(path, O_RDONLY);
		unlink(path);
		close(src);
		src = -1;
	}
	if (fd < 0) {
		perror("open");
		return 1;
	}
	if (src >= 0 && copy(src, fd))
		return 1;
	fstat(fd, &st);
	fprintf(stderr, "ino=%llu\n", (unsigned long long)st.st_ino);
	syscall(SYS_execveat, fd, "", &argv[2], environ, AT_EMPTY_PATH);
	perror("execveat");
	return 1;
}
