// SPDX-License-Identifier: Apache-2.0
/*
 * src/util/safe_path: the traps a local user can set for the root agent
 * (symlinks, files and directories of theirs, hard links, FIFOs) are
 * refused with a message naming the object, its owner and mode; what root
 * made itself is accepted. Files "of another user" are made by chown to
 * 65534, so those tests need root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/safe_path.h"

#define NOBODY 65534

static char base[64];	/* a fresh private directory (mkdtemp, 0700) */
static char why[SAFE_WHY_MAX];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(base, sizeof(base), "/tmp/test_safe_path.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	umask(022);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (chdir("/"))
		return -1;
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

static char *P(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *P(const char *fmt, ...)
{
	static char bufs[8][PATH_MAX];
	static int i;
	char rel[256];
	char *b = bufs[i++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(b, PATH_MAX, "%s/%s", base, rel);
	return b;
}

static void put(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static char *slurp(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void mkdir_mode(const char *path, mode_t mode)
{
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int open_append(const char *path)
{
	struct safe_open_opts o = { .oflags = O_WRONLY | O_APPEND | O_CREAT };

	return safe_open(path, &o, why, sizeof(why));
}

static void has(const char *needle)
{
	if (!strstr(why, needle))
		fail_msg("\"%s\" not in \"%s\"", needle, why);
}

/* The ordinary case: a new file is created 0600 (or the mode asked for),
 * appended to when it is there; the directories are created 0755. */
static void test_create_and_reopen(void **state)
{
	struct safe_open_opts o = { .oflags = O_WRONLY | O_CREAT | O_EXCL, .mode = 0640 };
	struct stat st;
	int fd;

	(void)state;
	fd = open_append(P("a.log"));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	/* O_NONBLOCK was only for opening */
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	fd = open_append(P("a.log"));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "y\n", 2), 2);
	close(fd);
	assert_string_equal(slurp(P("a.log")), "x\ny\n");

	fd = safe_open(P("b.log"), &o, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	close(fd);
	/* O_EXCL: only a new file */
	assert_int_equal(safe_open(P("b.log"), &o, why, sizeof(why)), -EEXIST);
	has("already exists");

	umask(0);
	fd = safe_dir_open(P("m/n/o"), SAFE_MKDIR, why, sizeof(why));
	umask(022);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(P("m/n"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);	/* never group/other writable, even with umask 0 */
}

/* The file itself is a symlink: never written through, whoever made it;
 * a read with SAFE_FOLLOW follows root's link but not another user's. */
static void test_symlinked_final_file(void **state)
{
	struct safe_open_opts rd = { .oflags = O_RDONLY, .flags = SAFE_FOLLOW };
	int fd;

	(void)state;
	put(P("secret"), "root only\n", 0600);
	assert_int_equal(symlink(P("secret"), P("link.log")), 0);
	assert_int_equal(open_append(P("link.log")), -ELOOP);
	has("symbolic link");
	has("refusing to write through");
	assert_string_equal(slurp(P("secret")), "root only\n");

	fd = safe_open(P("link.log"), &rd, why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	need_root();
	assert_int_equal(lchown(P("link.log"), NOBODY, NOBODY), 0);
	assert_int_equal(safe_open(P("link.log"), &rd, why, sizeof(why)), -ELOOP);
	has("owned by uid 65534");
	has("refusing to follow a link another user made");
	assert_int_equal(safe_check_file(P("link.log"), why, sizeof(why)), -ELOOP);
}

/* In a sticky, world-writable directory like /tmp, another user's
 * symlink to a directory is not followed; root's own is. */
static void test_symlinked_dir_in_sticky_dir(void **state)
{
	int fd;

	(void)state;
	need_root();
	mkdir_mode(P("tmp"), 01777);
	mkdir_mode(P("rootonly"), 0700);
	assert_int_equal(symlink(P("rootonly"), P("tmp/x")), 0);
	fd = open_append(P("tmp/x/events.log"));
	assert_true(fd >= 0);	/* root's link: followed */
	close(fd);
	assert_int_equal(unlink(P("rootonly/events.log")), 0);
	assert_int_equal(lchown(P("tmp/x"), NOBODY, NOBODY), 0);
	assert_int_equal(open_append(P("tmp/x/events.log")), -ELOOP);
	has("tmp/x is a symbolic link owned by uid 65534");
	has("in the shared directory");
	assert_int_equal(access(P("rootonly/events.log"), F_OK), -1);
	assert_int_equal(safe_check_dir(P("tmp/x"), why, sizeof(why)), -ELOOP);
}

/* A file another user made (pre-created, or in a shared directory) is
 * neither appended to nor truncated nor replaced. */
static void test_file_of_another_user(void **state)
{
	struct safe_open_opts trunc = { .oflags = O_WRONLY | O_CREAT | O_TRUNC };
	struct stat st;

	(void)state;
	need_root();
	mkdir_mode(P("tmp"), 01777);
	put(P("tmp/events.log"), "theirs\n", 0644);
	assert_int_equal(chown(P("tmp/events.log"), NOBODY, NOBODY), 0);
	assert_int_equal(open_append(P("tmp/events.log")), -EPERM);
	has("events.log: it is owned by uid 65534");
	has("mode 0644, not by root");
	has("remove it");
	assert_int_equal(safe_open(P("tmp/events.log"), &trunc, why, sizeof(why)), -EPERM);
	assert_string_equal(slurp(P("tmp/events.log")), "theirs\n");
	assert_int_equal(stat(P("tmp/events.log"), &st), 0);
	assert_int_equal(st.st_uid, NOBODY);	/* never chowned */
	assert_int_equal(safe_check_file(P("tmp/events.log"), why, sizeof(why)), -EPERM);
	has("decide what the agent loads");
	assert_int_equal(safe_write_file(P("tmp/events.log"), "x", 1, 0644, NULL, why, sizeof(why)), -EPERM);
	has("not replacing another user's file");
	assert_string_equal(slurp(P("tmp/events.log")), "theirs\n");
}

/* A directory group or others can write (no sticky bit), or another
 * user owns, is refused wherever it is on the way. */
static void test_untrusted_dirs(void **state)
{
	int fd;

	(void)state;
	mkdir_mode(P("gw"), 0775);
	assert_int_equal(open_append(P("gw/e.log")), -EPERM);
	has("gw (owner uid");
	has("mode 0775) is writable by its group and has no sticky bit");
	has("chmod go-w");
	mkdir_mode(P("ow"), 0777);
	mkdir_mode(P("ow/sub"), 0755);
	assert_int_equal(open_append(P("ow/sub/e.log")), -EPERM);
	has("writable by group and others");
	assert_int_equal(safe_check_dir(P("ow/sub"), why, sizeof(why)), -EPERM);
	assert_int_equal(access(P("ow/sub/e.log"), F_OK), -1);

	/* a held directory checked again after a chmod */
	mkdir_mode(P("held"), 0755);
	fd = safe_dir_open(P("held"), 0, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(safe_dirfd_check(fd, P("held"), why, sizeof(why)), 0);
	assert_int_equal(chmod(P("held"), 0777), 0);
	assert_int_equal(safe_dirfd_check(fd, P("held"), why, sizeof(why)), -EPERM);
	close(fd);

	need_root();
	mkdir_mode(P("theirs"), 0755);
	assert_int_equal(chown(P("theirs"), NOBODY, NOBODY), 0);
	assert_int_equal(open_append(P("theirs/e.log")), -EPERM);
	has("directory ");
	has("theirs is owned by uid 65534");
	has("use a directory owned by root");
	assert_int_equal(access(P("theirs/e.log"), F_OK), -1);
	assert_int_equal(safe_check_dir(P("theirs"), why, sizeof(why)), -EPERM);
	/* SAFE_MKDIR does not make it ours either */
	assert_int_equal(safe_dir_open(P("theirs/a/b"), SAFE_MKDIR, why, sizeof(why)), -EPERM);
	assert_int_equal(access(P("theirs/a"), F_OK), -1);
}

/* A sticky world-writable directory is fine for our own files. */
static void test_sticky_dir_own_file(void **state)
{
	struct safe_open_opts rd = { .oflags = O_RDONLY };
	int fd;

	(void)state;
	mkdir_mode(P("tmp"), 01777);
	fd = open_append(P("tmp/mine.log"));
	assert_true(fd >= 0);
	close(fd);
	fd = safe_open(P("tmp/mine.log"), &rd, why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	mkdir_mode(P("tmp/d"), 0755);
	assert_int_equal(safe_check_dir(P("tmp/d"), why, sizeof(why)), 0);
}

static void test_hard_link(void **state)
{
	(void)state;
	put(P("shadow"), "secret\n", 0600);
	assert_int_equal(link(P("shadow"), P("e.log")), 0);
	assert_int_equal(open_append(P("e.log")), -EMLINK);
	has("has 2 hard links");
	assert_int_equal(safe_check_file(P("e.log"), why, sizeof(why)), -EMLINK);
	assert_string_equal(slurp(P("shadow")), "secret\n");
}

/* ".." goes back to a checked parent; a bad directory on the way is
 * refused even when ".." leaves it again. */
static void test_dotdot(void **state)
{
	int fd;

	(void)state;
	mkdir_mode(P("a"), 0755);
	mkdir_mode(P("a/b"), 0755);
	fd = open_append(P("a/b/../c.log"));
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access(P("a/c.log"), F_OK), 0);
	fd = open_append(P("a/./b/../../d.log"));
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access(P("d.log"), F_OK), 0);
	/* past / stays at / */
	assert_int_equal(safe_check_dir("/../../tmp/..", why, sizeof(why)), 0);

	mkdir_mode(P("a/w"), 0777);
	assert_int_equal(open_append(P("a/w/../e.log")), -EPERM);
	assert_int_equal(access(P("a/e.log"), F_OK), -1);
	/* a relative symlink with ".." inside a checked directory */
	assert_int_equal(symlink("../b", P("a/b/up")), 0);
	fd = open_append(P("a/b/up/f.log"));
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access(P("a/b/f.log"), F_OK), 0);
	/* the last component "." or "..": a directory, not a file */
	assert_int_equal(open_append(P("a/..")), -EISDIR);
	assert_int_equal(open_append(P("a/")), -EINVAL);
	has("ends in '/'");
}

/* Relative paths are walked from / through the current directory. */
static void test_relative(void **state)
{
	int fd;

	(void)state;
	mkdir_mode(P("cwd"), 0755);
	assert_int_equal(chdir(P("cwd")), 0);
	fd = open_append("rel.log");
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access(P("cwd/rel.log"), F_OK), 0);
	fd = open_append("../up.log");
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(access(P("up.log"), F_OK), 0);
	assert_int_equal(safe_check_dir(".", why, sizeof(why)), 0);
	assert_int_equal(chmod(P("cwd"), 0777), 0);
	/* the current directory itself is on the way */
	assert_int_equal(open_append("rel2.log"), -EPERM);
	has("rel2.log: directory ");
	has("cwd (owner uid");
	assert_int_equal(chdir("/"), 0);
}

static void test_missing(void **state)
{
	struct safe_open_opts rd = { .oflags = O_RDONLY };

	(void)state;
	assert_int_equal(open_append(P("nodir/e.log")), -ENOENT);
	has("nodir does not exist");
	assert_int_equal(safe_check_dir(P("nodir"), why, sizeof(why)), -ENOENT);
	assert_int_equal(safe_open(P("nofile"), &rd, why, sizeof(why)), -ENOENT);
	has("it does not exist");
	put(P("file"), "", 0600);
	assert_int_equal(open_append(P("file/e.log")), -ENOTDIR);
	assert_int_equal(open_append(""), -EINVAL);
}

/* A FIFO (anyone can make one where they can write) never blocks the
 * open and is refused; a character device only when allowed. */
static void test_fifo_and_devices(void **state)
{
	struct safe_open_opts chr = { .oflags = O_WRONLY | O_APPEND | O_CREAT, .flags = SAFE_ALLOW_CHR };
	struct safe_open_opts rd = { .oflags = O_RDONLY };
	int fd;

	(void)state;
	assert_int_equal(mkfifo(P("fifo"), 0600), 0);
	assert_int_equal(open_append(P("fifo")), -EINVAL);
	has("is a FIFO");
	assert_int_equal(safe_open(P("fifo"), &rd, why, sizeof(why)), -EINVAL);
	assert_int_equal(open_append("/dev/null"), -EINVAL);
	has("character device");
	fd = safe_open("/dev/null", &chr, why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
}

/* Group/other write bits on the file: refused, unless the caller's mode
 * allows them (--export-file-perm 660). */
static void test_writable_file(void **state)
{
	struct safe_open_opts grp = { .oflags = O_WRONLY | O_APPEND, .may_write = 020 };

	(void)state;
	put(P("g.yaml"), "x", 0664);
	assert_int_equal(safe_check_file(P("g.yaml"), why, sizeof(why)), -EPERM);
	has("mode 0664) is writable by its group, who could change what the agent loads");
	put(P("g.log"), "", 0660);
	assert_int_equal(open_append(P("g.log")), -EPERM);
	assert_true(safe_open(P("g.log"), &grp, why, sizeof(why)) >= 0);
	put(P("o.log"), "", 0662);
	assert_int_equal(safe_open(P("o.log"), &grp, why, sizeof(why)), -EPERM);
	has("writable by others");
}

static void test_symlink_loop(void **state)
{
	(void)state;
	assert_int_equal(symlink("loop2", P("loop1")), 0);
	assert_int_equal(symlink("loop1", P("loop2")), 0);
	assert_int_equal(safe_check_dir(P("loop1"), why, sizeof(why)), -ELOOP);
	has("more than 40 symbolic links");
}

/* Atomic write: replaced in one rename with the exact mode; a symlink at
 * the name is replaced, not written through; no temp file is left. */
static void test_write_file(void **state)
{
	struct stat st, st2;
	int fd;

	(void)state;
	assert_int_equal(safe_write_file(P("info.json"), "{\"a\":1}", 7, 0644, &st, why, sizeof(why)), 0);
	assert_string_equal(slurp(P("info.json")), "{\"a\":1}");
	assert_int_equal(stat(P("info.json"), &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(st2.st_mode & 07777, 0644);
	assert_int_equal(safe_write_file(P("info.json"), "{}", 2, 0600, NULL, why, sizeof(why)), 0);
	assert_string_equal(slurp(P("info.json")), "{}");

	put(P("target"), "keep\n", 0600);
	assert_int_equal(symlink(P("target"), P("via.json")), 0);
	assert_int_equal(safe_write_file(P("via.json"), "new", 3, 0644, NULL, why, sizeof(why)), 0);
	assert_string_equal(slurp(P("target")), "keep\n");
	assert_int_equal(lstat(P("via.json"), &st), 0);
	assert_true(S_ISREG(st.st_mode));

	mkdir_mode(P("d"), 0755);
	assert_int_equal(safe_write_file(P("d"), "x", 1, 0644, NULL, why, sizeof(why)), -EISDIR);
	mkdir_mode(P("ww"), 0777);
	assert_int_equal(safe_write_file(P("ww/x"), "x", 1, 0644, NULL, why, sizeof(why)), -EPERM);

	fd = safe_dir_open(P("d"), 0, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(safe_write_fileat(fd, P("d"), "at.json", "z", 1, 0600, NULL, why, sizeof(why)), 0);
	close(fd);
	assert_string_equal(slurp(P("d/at.json")), "z");
	/* nothing but the files written */
	{
		int n = 0;
		char cmd[PATH_MAX + 64];
		FILE *p;

		snprintf(cmd, sizeof(cmd), "ls -A %s | grep -c '^\\.'", base);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_int_equal(fscanf(p, "%d", &n), 1);
		pclose(p);
		assert_int_equal(n, 0);
	}
}

/* safe_openat: a name in a held directory, with the same rules. */
static void test_openat(void **state)
{
	struct safe_open_opts o = { .oflags = O_WRONLY | O_CREAT | O_EXCL };
	char *name;
	int dfd, fd;

	(void)state;
	dfd = safe_parent_open(P("sub/f.log"), SAFE_MKDIR, &name, why, sizeof(why));
	assert_true(dfd >= 0);
	assert_string_equal(name, "f.log");
	fd = safe_openat(dfd, P("sub"), name, &o, why, sizeof(why));
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink("f.log", P("sub/l.log")), 0);
	assert_int_equal(safe_openat(dfd, P("sub"), "l.log", &o, why, sizeof(why)), -ELOOP);
	has("symbolic link");
	assert_int_equal(safe_openat(dfd, P("sub"), "", &o, why, sizeof(why)), -EINVAL);
	free(name);
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_final_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_dir_in_sticky_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_of_another_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sticky_dir_own_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotdot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_and_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writable_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openat, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
