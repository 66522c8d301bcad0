// SPDX-License-Identifier: Apache-2.0
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "export/rotating_file.h"
#include "util/safe_path.h"

#define SAFE_WHY SAFE_WHY_MAX

/* Backups made now; the fixtures planted by tests use years 19xx. */
#define TS_RE "2[0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}\\.[0-9]{3}"

struct names {
	char *v[64];
	int n;
};

static int setup(void **state)
{
	char tmpl[] = "/tmp/test_rotating_file.XXXXXX";
	char *d = mkdtemp(tmpl);

	if (!d)
		return -1;
	*state = strdup(d);
	umask(022);
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static char *pathf(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in @dir matching the extended regex @re (anchored). */
static void list(const char *dir, const char *re, struct names *out)
{
	struct dirent *de;
	regex_t rx;
	char *full;
	DIR *d;

	assert_true(asprintf(&full, "^%s$", re) > 0);
	assert_int_equal(regcomp(&rx, full, REG_EXTENDED | REG_NOSUB), 0);
	free(full);
	out->n = 0;
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!regexec(&rx, de->d_name, 0, NULL, 0)) {
			assert_true(out->n < 64);
			out->v[out->n++] = strdup(de->d_name);
		}
	}
	closedir(d);
	regfree(&rx);
	qsort(out->v, (size_t)out->n, sizeof(out->v[0]), cmp_str);
}

static void names_free(struct names *n)
{
	for (int i = 0; i < n->n; i++)
		free(n->v[i]);
	n->n = 0;
}

static int count(const char *dir, const char *re)
{
	struct names n;
	int c;

	list(dir, re, &n);
	c = n.n;
	names_free(&n);
	return c;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, (1 << 16) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static char *slurp_in(const char *dir, const char *name)
{
	char *p = pathf(dir, name), *s = slurp(p);

	free(p);
	return s;
}

static char *gunzip(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	char *buf = calloc(1, 1 << 16);
	int n;

	assert_non_null(gz);
	n = gzread(gz, buf, (1 << 16) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	/* Z_OK also proves the CRC and length trailer matched. */
	assert_int_equal(gzclose(gz), Z_OK);
	return buf;
}

static off_t fsize(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static struct rotating_file *open_rf(const char *path, unsigned long long max, int backups,
				     int compress, mode_t perm)
{
	struct rotating_file_opts o = {
		.path = path, .max_size_bytes = max, .max_backups = backups,
		.compress = compress, .perm = perm,
	};
	struct rotating_file *f;

	assert_int_equal(rotating_file_open(&f, &o), 0);
	assert_non_null(f);
	return f;
}

static void put(struct rotating_file *f, const char *s)
{
	assert_int_equal(rotating_file_write(f, s, strlen(s), NULL), 0);
}

static void write_raw(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

/* Size limit reached exactly: no rotation; one byte more: rotation first. */
static void test_size_boundary_exact(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *s;
	struct rotating_file *f = open_rf(path, 100, 5, 0, 0600);
	struct names n;

	for (int i = 0; i < 10; i++)
		put(f, "123456789\n");
	assert_int_equal(fsize(path), 100);
	assert_int_equal(count(dir, "tetragon-.*"), 0);
	put(f, "abcdefghi\n");
	assert_int_equal(fsize(path), 10);
	list(dir, "tetragon-" TS_RE "\\.log", &n);
	assert_int_equal(n.n, 1);
	s = slurp_in(dir, n.v[0]);
	assert_int_equal(strlen(s), 100);
	free(s);
	s = slurp(path);
	assert_string_equal(s, "abcdefghi\n");
	free(s);
	names_free(&n);
	rotating_file_close(f);
	free(path);
}

static void ts_now(char *out, size_t len, int add_s)
{
	time_t t = time(NULL) + add_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H-%M-%S", &tm);
}

/* <stem>-<UTC 2006-01-02T15-04-05.000><ext>, also with no extension. */
static void test_backup_name_pattern(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *plain = pathf(dir, "events");
	char lo[32], hi[32], cur[32];
	struct rotating_file *f = open_rf(path, 0, 0, 0, 0600), *g;
	struct names n;

	ts_now(lo, sizeof(lo), -1);
	put(f, "x\n");
	assert_int_equal(rotating_file_rotate(f), 0);
	ts_now(hi, sizeof(hi), 1);
	list(dir, "tetragon-" TS_RE "\\.log", &n);
	assert_int_equal(n.n, 1);
	snprintf(cur, sizeof(cur), "%.19s", n.v[0] + strlen("tetragon-"));
	assert_true(strcmp(cur, lo) >= 0 && strcmp(cur, hi) <= 0);
	names_free(&n);
	/* The live file is recreated at once. */
	assert_int_equal(fsize(path), 0);

	g = open_rf(plain, 0, 0, 0, 0600);
	put(g, "y\n");
	assert_int_equal(rotating_file_rotate(g), 0);
	assert_int_equal(count(dir, "events-" TS_RE), 1);
	rotating_file_close(g);
	rotating_file_close(f);
	free(path);
	free(plain);
}

/* Only the newest max_backups survive; foreign look-alikes are untouched. */
static void test_max_backups_pruning(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *p, *s;
	struct rotating_file *f;
	struct names n;
	char line[32];

	/* Not ours: bad month, wrong ext, other stem, a directory. */
	p = pathf(dir, "tetragon-1999-13-01T00-00-00.000.log");
	write_raw(p, "keep\n", 0600);
	free(p);
	p = pathf(dir, "tetragon-1999-01-01T00-00-00.000.txt");
	write_raw(p, "keep\n", 0600);
	free(p);
	p = pathf(dir, "other-1999-01-01T00-00-00.000.log");
	write_raw(p, "keep\n", 0600);
	free(p);
	p = pathf(dir, "tetragon-1998-01-01T00-00-00.000.log");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	/* Ours and oldest: must go first. */
	p = pathf(dir, "tetragon-1997-01-01T00-00-00.000.log");
	write_raw(p, "ancient\n", 0600);
	free(p);

	f = open_rf(path, 10, 3, 0, 0600);
	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "line%04d\n", i);	/* 9 bytes */
		put(f, line);
		/* a second line never fits: every record after the first rotates */
	}
	list(dir, "tetragon-" TS_RE "\\.log", &n);
	assert_int_equal(n.n, 3);
	for (int i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "line%04d\n", 4 + i);
		s = slurp_in(dir, n.v[i]);
		assert_string_equal(s, line);
		free(s);
	}
	names_free(&n);
	s = slurp(path);
	assert_string_equal(s, "line0007\n");
	free(s);
	assert_int_equal(count(dir, "tetragon-1999-13-01T00-00-00.000.log"), 1);
	assert_int_equal(count(dir, "tetragon-1999-01-01T00-00-00.000.txt"), 1);
	assert_int_equal(count(dir, "other-1999-01-01T00-00-00.000.log"), 1);
	assert_int_equal(count(dir, "tetragon-1998-01-01T00-00-00.000.log"), 1);
	assert_int_equal(count(dir, "tetragon-1997-.*"), 0);
	rotating_file_close(f);
	free(path);
}

/* max_backups 0 keeps everything. */
static void test_zero_backups_keeps_all(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "t.json");
	struct rotating_file *f = open_rf(path, 4, 0, 0, 0600);

	for (int i = 0; i < 7; i++)
		put(f, "abc\n");
	assert_int_equal(count(dir, "t-" TS_RE "\\.json"), 6);
	rotating_file_close(f);
	free(path);
}

/* Backups become valid gzip with the same bytes; no plain copy or temp
 * file is left behind and the mode is kept. */
static void test_compress(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *p, *s;
	struct rotating_file *f = open_rf(path, 30, 2, 1, 0640);
	struct names n;
	struct stat st;

	put(f, "{\"a\":1}\n");
	put(f, "{\"b\":2}\n");
	put(f, "{\"c\":3}\n");	/* 24 bytes */
	put(f, "{\"d\":4}\n");	/* rotates */
	put(f, "{\"e\":5}\n");
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log"), 0);
	assert_int_equal(count(dir, ".*\\.tmp"), 0);
	list(dir, "tetragon-" TS_RE "\\.log\\.gz", &n);
	assert_int_equal(n.n, 1);
	p = pathf(dir, n.v[0]);
	s = gunzip(p);
	assert_string_equal(s, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
	free(s);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	free(p);
	names_free(&n);

	/* Pruning counts compressed backups too. */
	for (int i = 0; i < 3; i++) {
		put(f, "0123456789012345678901234567\n");
		assert_int_equal(rotating_file_rotate(f), 0);
	}
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log\\.gz"), 2);
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log"), 0);
	rotating_file_close(f);
	free(path);
}

/* A plain backup left by a run without compression (or a crash) gets
 * compressed when the file is opened with compression on. */
static void test_compress_leftover_on_open(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log");
	char *old = pathf(dir, "tetragon-2024-02-29T23-59-59.999.log");
	char *gz = pathf(dir, "tetragon-2024-02-29T23-59-59.999.log.gz"), *s;
	struct rotating_file *f;

	write_raw(old, "old line\n", 0600);
	f = open_rf(path, 0, 5, 1, 0600);
	assert_int_equal(access(old, F_OK), -1);
	s = gunzip(gz);
	assert_string_equal(s, "old line\n");
	free(s);
	rotating_file_close(f);
	free(path);
	free(old);
	free(gz);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_perm(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *dflt = pathf(dir, "dflt.log");
	struct rotating_file *f = open_rf(path, 0, 0, 0, 0640), *g;
	struct names n;

	assert_int_equal(mode_of(path), 0640);
	put(f, "x\n");
	assert_int_equal(rotating_file_rotate(f), 0);
	assert_int_equal(mode_of(path), 0640);
	list(dir, "tetragon-" TS_RE "\\.log", &n);
	assert_int_equal(n.n, 1);
	{
		char *b = pathf(dir, n.v[0]);

		assert_int_equal(mode_of(b), 0640);
		free(b);
	}
	names_free(&n);
	rotating_file_close(f);

	g = open_rf(dflt, 0, 0, 0, 0);
	assert_int_equal(mode_of(dflt), 0600);
	rotating_file_close(g);
	free(path);
	free(dflt);
}

static void test_reopen_appends(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *s;
	struct rotating_file *f = open_rf(path, 1000, 5, 0, 0600);

	put(f, "one\n");
	rotating_file_close(f);
	f = open_rf(path, 1000, 5, 0, 0600);
	put(f, "two\n");
	assert_int_equal(rotating_file_flush(f), 0);
	rotating_file_close(f);
	s = slurp(path);
	assert_string_equal(s, "one\ntwo\n");
	free(s);
	assert_int_equal(count(dir, "tetragon-.*"), 0);
	free(path);
}

/* A file already at the limit is rotated when opened. */
static void test_open_rotates_full_file(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *s;
	struct rotating_file *f;
	struct names n;

	write_raw(path, "0123456789\n", 0600);
	f = open_rf(path, 11, 5, 0, 0600);
	assert_int_equal(fsize(path), 0);
	list(dir, "tetragon-" TS_RE "\\.log", &n);
	assert_int_equal(n.n, 1);
	s = slurp_in(dir, n.v[0]);
	assert_string_equal(s, "0123456789\n");
	free(s);
	names_free(&n);
	rotating_file_close(f);
	free(path);
}

/* Like lumberjack, the first write after opening an existing file rotates
 * when it would fill the file exactly. */
static void test_first_write_fills_exactly(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *s;
	struct rotating_file *f;

	write_raw(path, "12345\n", 0600);
	f = open_rf(path, 10, 5, 0, 0600);
	put(f, "abc\n");
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log"), 1);
	s = slurp(path);
	assert_string_equal(s, "abc\n");
	free(s);
	rotating_file_close(f);
	free(path);
}

/* A record bigger than the limit is still written, alone in its file. */
static void test_huge_record(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *s;
	struct rotating_file *f = open_rf(path, 16, 0, 0, 0600);
	char big[101];
	struct names n;

	memset(big, 'x', 99);
	big[99] = '\n';
	big[100] = '\0';
	put(f, big);	/* empty file: no rotation, no refusal */
	assert_int_equal(fsize(path), 100);
	assert_int_equal(count(dir, "tetragon-.*"), 0);
	put(f, "small\n");
	assert_int_equal(fsize(path), 6);
	put(f, big);	/* non-empty: rotate, then the big one alone */
	assert_int_equal(fsize(path), 100);
	put(f, "tail\n");
	list(dir, "tetragon-" TS_RE "\\.log", &n);
	assert_int_equal(n.n, 3);
	s = slurp_in(dir, n.v[0]);
	assert_string_equal(s, big);
	free(s);
	s = slurp_in(dir, n.v[1]);
	assert_string_equal(s, "small\n");
	free(s);
	s = slurp_in(dir, n.v[2]);
	assert_string_equal(s, big);
	free(s);
	s = slurp(path);
	assert_string_equal(s, "tail\n");
	free(s);
	names_free(&n);
	rotating_file_close(f);
	free(path);
}

/* Rotations in quick succession never reuse a backup name. */
static void test_same_millisecond_rotations(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *s;
	struct rotating_file *f = open_rf(path, 0, 0, 0, 0600), *g;
	struct names n;
	char line[32];

	for (int i = 0; i < 6; i++) {
		snprintf(line, sizeof(line), "r%d\n", i);
		put(f, line);
		assert_int_equal(rotating_file_rotate(f), 0);
	}
	list(dir, "tetragon-" TS_RE "\\.log", &n);
	assert_int_equal(n.n, 6);
	for (int i = 0; i < 6; i++) {
		snprintf(line, sizeof(line), "r%d\n", i);
		s = slurp_in(dir, n.v[i]);
		assert_string_equal(s, line);
		free(s);
	}
	names_free(&n);
	rotating_file_close(f);

	/* Same with compression, where the earlier backup is already a .gz. */
	g = open_rf(path, 0, 0, 1, 0600);
	for (int i = 0; i < 4; i++) {
		put(g, "z\n");
		assert_int_equal(rotating_file_rotate(g), 0);
	}
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log\\.gz"), 10);
	rotating_file_close(g);
	free(path);
}

static void test_tick(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log");
	struct rotating_file_opts o = {
		.path = path, .max_backups = 0, .perm = 0600, .rotation_interval_ms = 1000,
	};
	struct rotating_file *f;

	assert_int_equal(rotating_file_open(&f, &o), 0);
	put(f, "a\n");
	rotating_file_tick(f, 5000);	/* starts the interval */
	rotating_file_tick(f, 5999);
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log"), 0);
	rotating_file_tick(f, 6000);
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log"), 1);
	rotating_file_tick(f, 6500);
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log"), 1);
	/* Upstream's timer rotates empty files too; a long gap counts once. */
	rotating_file_tick(f, 60000);
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log"), 2);
	rotating_file_close(f);

	/* No interval: ticks do nothing. */
	o.rotation_interval_ms = 0;
	assert_int_equal(rotating_file_open(&f, &o), 0);
	rotating_file_tick(f, 1);
	rotating_file_tick(f, 1000000);
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log"), 2);
	rotating_file_close(f);
	free(path);
}

static void test_creates_parents(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "a/b/c/tetragon.log"), *sub = pathf(dir, "a/b");
	struct rotating_file *f = open_rf(path, 0, 5, 1, 0600);

	assert_int_equal(mode_of(sub), 0755);
	put(f, "x\n");
	assert_int_equal(rotating_file_rotate(f), 0);
	rotating_file_close(f);
	free(path);
	free(sub);
}

static void test_bad_paths(void **state)
{
	const char *dir = *state;
	struct rotating_file_opts o = { .path = dir };
	struct rotating_file *f = (void *)1;
	char *slash = pathf(dir, "sub/"), *under_file = pathf(dir, "file/x.log");
	char *file = pathf(dir, "file");

	assert_int_equal(rotating_file_open(&f, &o), -EISDIR);
	assert_null(f);
	o.path = "";
	assert_int_equal(rotating_file_open(&f, &o), -EINVAL);
	o.path = NULL;
	assert_int_equal(rotating_file_open(&f, &o), -EINVAL);
	o.path = slash;
	assert_int_equal(rotating_file_open(&f, &o), -EINVAL);
	write_raw(file, "", 0600);
	o.path = under_file;
	assert_int_equal(rotating_file_open(&f, &o), -ENOTDIR);
	assert_int_equal(rotating_file_write(NULL, "x", 1, NULL), -EBADF);
	assert_int_equal(rotating_file_rotate(NULL), -EBADF);
	rotating_file_tick(NULL, 1);
	rotating_file_close(NULL);
	free(slash);
	free(under_file);
	free(file);
}

/* Plain checks (no cmocka) so it can also run in a forked, unprivileged
 * child. Returns 0 or the failing line. */
#define CHECK(c) do { if (!(c)) return __LINE__; } while (0)
static int failed_rotation_scenario(const char *sub, const char *path)
{
	static const char want[] = "aaaaaa\nbbbbbb\ncccccc\n";
	struct rotating_file_opts o = { .path = path, .max_size_bytes = 8, .max_backups = 5 };
	struct rotating_file *f;
	char buf[64] = { 0 };
	int fd;

	CHECK(rotating_file_open(&f, &o) == 0);
	CHECK(rotating_file_write(f, "aaaaaa\n", 7, NULL) == 0);
	CHECK(chmod(sub, 0555) == 0);
	/* The rotation fails, the record still lands. */
	CHECK(rotating_file_write(f, "bbbbbb\n", 7, NULL) == 0);
	CHECK(rotating_file_rotate(f) == -EACCES);
	CHECK(rotating_file_write(f, "cccccc\n", 7, NULL) == 0);
	CHECK(chmod(sub, 0755) == 0);
	rotating_file_close(f);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf) - 1) == (ssize_t)strlen(want));
	close(fd);
	CHECK(!strcmp(buf, want));
	return 0;
}

/* A rotation that cannot happen (read-only directory) loses nothing. Root
 * ignores directory permissions, so then the scenario runs as nobody. */
static void test_failed_rotation_keeps_writing(void **state)
{
	const char *dir = *state;
	char *sub = pathf(dir, "ro"), *path = pathf(dir, "ro/tetragon.log");
	int status;
	pid_t pid;

	assert_int_equal(mkdir(sub, 0755), 0);
	if (geteuid() != 0) {
		assert_int_equal(failed_rotation_scenario(sub, path), 0);
	} else {
		assert_int_equal(chmod(dir, 0755), 0);
		assert_int_equal(chown(sub, 65534, 65534), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgid(65534) || setuid(65534))
				_exit(255);
			_exit(failed_rotation_scenario(sub, path) & 0xff);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		/* Non-zero: low byte of the failing CHECK line. */
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	free(sub);
	free(path);
}

static struct stat stat_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st;
}

/* Every file the export creates (the live file after each rotation, plain
 * and .gz backups) has the configured mode and is ours, whatever the file
 * before it had: nothing is chowned or chmod'ed to match an older file. */
static void test_rotation_modes_and_owner(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log");
	struct rotating_file *f;
	struct names n;
	struct stat st;

	/* an older live file of ours, 0640 and another group: kept as it is */
	write_raw(path, "old\n", 0640);
	assert_int_equal(chmod(path, 0640), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(path, 0, 65534), 0);
	f = open_rf(path, 0, 0, 0, 0600);
	put(f, "new\n");
	assert_int_equal(mode_of(path), 0640);
	assert_int_equal(rotating_file_rotate(f), 0);
	st = stat_of(path);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, getegid());
	put(f, "after\n");
	assert_int_equal(rotating_file_rotate(f), 0);
	rotating_file_close(f);
	list(dir, "tetragon-" TS_RE "\\.log", &n);
	assert_int_equal(n.n, 2);
	{
		char *b0 = pathf(dir, n.v[0]), *b1 = pathf(dir, n.v[1]);

		assert_int_equal(mode_of(b0), 0640);	/* the old file, renamed */
		st = stat_of(b1);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(st.st_uid, geteuid());
		free(b0);
		free(b1);
	}
	names_free(&n);

	/* compressed: the .gz is new, configured mode, ours */
	f = open_rf(path, 0, 0, 1, 0600);
	list(dir, "tetragon-" TS_RE "\\.log\\.gz", &n);
	assert_int_equal(n.n, 2);
	for (int i = 0; i < n.n; i++) {
		char *b = pathf(dir, n.v[i]);

		st = stat_of(b);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(st.st_uid, geteuid());
		assert_int_equal(st.st_gid, getegid());
		free(b);
	}
	names_free(&n);
	rotating_file_close(f);
	free(path);
}

/* The traps another user can set for the export file: each refused with
 * the reason, the target unchanged. */
static void test_refuses_traps(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *secret = pathf(dir, "secret");
	char *sub = pathf(dir, "theirs"), *in_sub = pathf(dir, "theirs/tetragon.log");
	char *ww = pathf(dir, "ww"), *in_ww = pathf(dir, "ww/tetragon.log"), *s;
	char err[SAFE_WHY];
	struct rotating_file_opts o = { .path = path, .err = err, .errlen = sizeof(err) };
	struct rotating_file *f = NULL;

	/* a symlink to a file only root may write */
	write_raw(secret, "root only\n", 0600);
	assert_int_equal(symlink(secret, path), 0);
	assert_int_equal(rotating_file_open(&f, &o), -ELOOP);
	assert_null(f);
	assert_non_null(strstr(err, "symbolic link"));
	s = slurp(secret);
	assert_string_equal(s, "root only\n");
	free(s);
	assert_int_equal(unlink(path), 0);

	/* a hard link to it */
	assert_int_equal(link(secret, path), 0);
	assert_int_equal(rotating_file_open(&f, &o), -EMLINK);
	assert_non_null(strstr(err, "hard links"));
	assert_int_equal(unlink(path), 0);

	/* a directory anyone can write */
	assert_int_equal(mkdir(ww, 0777), 0);
	assert_int_equal(chmod(ww, 0777), 0);
	o.path = in_ww;
	assert_int_equal(rotating_file_open(&f, &o), -EPERM);
	assert_non_null(strstr(err, "writable by group and others"));
	assert_int_equal(access(in_ww, F_OK), -1);

	if (geteuid() == 0) {
		/* a file pre-created by another user */
		o.path = path;
		write_raw(path, "theirs\n", 0600);
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(rotating_file_open(&f, &o), -EPERM);
		assert_non_null(strstr(err, "owned by uid 65534"));
		s = slurp(path);
		assert_string_equal(s, "theirs\n");
		free(s);
		assert_int_equal(stat_of(path).st_uid, 65534);

		/* a directory of another user, also for the directories to create */
		assert_int_equal(mkdir(sub, 0755), 0);
		assert_int_equal(chown(sub, 65534, 65534), 0);
		o.path = in_sub;
		assert_int_equal(rotating_file_open(&f, &o), -EPERM);
		assert_non_null(strstr(err, "theirs is owned by uid 65534"));
		assert_int_equal(access(in_sub, F_OK), -1);
	}
	free(path);
	free(secret);
	free(sub);
	free(in_sub);
	free(ww);
	free(in_ww);
}

/* In a shared sticky directory, files named like our backups but owned by
 * another user are neither pruned nor compressed (nor read). */
static void test_foreign_backups_left_alone(void **state)
{
	const char *dir = *state;
	char *shared = pathf(dir, "shared"), *path = pathf(dir, "shared/tetragon.log");
	char *foreign = pathf(dir, "shared/tetragon-1999-01-01T00-00-00.000.log");
	char *mine = pathf(dir, "shared/tetragon-1998-01-01T00-00-00.000.log");
	struct rotating_file *f;

	if (geteuid() != 0)
		skip();
	assert_int_equal(mkdir(shared, 0700), 0);
	assert_int_equal(chmod(shared, 01777), 0);
	write_raw(foreign, "theirs\n", 0644);
	assert_int_equal(chown(foreign, 65534, 65534), 0);
	write_raw(mine, "mine\n", 0600);
	f = open_rf(path, 0, 1, 1, 0600);
	put(f, "x\n");
	assert_int_equal(rotating_file_rotate(f), 0);
	rotating_file_close(f);
	assert_int_equal(access(foreign, F_OK), 0);
	assert_int_equal(count(shared, "tetragon-1999-01-01T00-00-00.000.log.gz"), 0);
	assert_int_equal(access(mine, F_OK), -1);	/* pruned: one backup kept */
	assert_int_equal(count(shared, "tetragon-" TS_RE "\\.log\\.gz"), 1);
	free(shared);
	free(path);
	free(foreign);
	free(mine);
}

/* Writing to a character device (export to /dev/null or a tty) works and
 * never tries to rename the device away. */
static void test_non_regular_file(void **state)
{
	struct rotating_file *f = open_rf("/dev/null", 4, 1, 1, 0600);

	(void)state;
	for (int i = 0; i < 4; i++)
		put(f, "abcdef\n");
	assert_int_equal(rotating_file_rotate(f), 0);
	assert_int_equal(access("/dev/null", F_OK), 0);
	rotating_file_close(f);
}

/* A write cut short (the disk filled up; a file size limit stands in):
 * the whole lines stay, the torn one is taken back, the caller learns
 * how much stayed. */
static void test_partial_write_keeps_whole_lines(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *s;
	struct rotating_file *f = open_rf(path, 0, 0, 0, 0600);
	struct rlimit rl = { 10, RLIM_INFINITY };
	size_t kept = 99;

	signal(SIGXFSZ, SIG_IGN);
	put(f, "abc\n");
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	/* 6 more bytes fit: "def\n" and "gh" of the next line */
	assert_int_equal(rotating_file_write(f, "def\nghi\njkl\n", 12, &kept), -EFBIG);
	assert_int_equal(kept, 4);
	s = slurp(path);
	assert_string_equal(s, "abc\ndef\n");
	free(s);
	/* nothing fits: nothing stays */
	assert_int_equal(rotating_file_write(f, "mno\n", 4, &kept), -EFBIG);
	assert_int_equal(kept, 0);
	rl.rlim_cur = RLIM_INFINITY;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	assert_int_equal(rotating_file_write(f, "pqr\n", 4, &kept), 0);
	assert_int_equal(kept, 4);
	s = slurp(path);
	assert_string_equal(s, "abc\ndef\npqr\n");
	free(s);
	rotating_file_close(f);
	signal(SIGXFSZ, SIG_DFL);
	free(path);
}

/* The live file deleted: noticed before the next write and by the tick;
 * the path is opened again (a new file, the configured mode). */
static void test_deleted_file_reopened(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *s;
	struct rotating_file *f = open_rf(path, 0, 0, 0, 0640);

	put(f, "a\n");
	assert_int_equal(unlink(path), 0);
	put(f, "b\n");
	s = slurp(path);
	assert_string_equal(s, "b\n");
	free(s);
	assert_int_equal(mode_of(path), 0640);
	/* without a write: the tick notices */
	assert_int_equal(unlink(path), 0);
	rotating_file_tick(f, 1);
	assert_int_equal(access(path, F_OK), 0);
	put(f, "c\n");
	s = slurp(path);
	assert_string_equal(s, "c\n");
	free(s);
	rotating_file_close(f);
	free(path);
}

/* Moved away (logrotate without copytruncate, an admin's mv): what was
 * written stays in the moved file, new records go to the path; a file
 * created at the path meanwhile (ours) is appended to. */
static void test_moved_file_reopened(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *moved = pathf(dir, "old.log"), *s;
	struct rotating_file *f = open_rf(path, 0, 0, 0, 0600);

	put(f, "a\n");
	assert_int_equal(rename(path, moved), 0);
	rotating_file_tick(f, 1);
	put(f, "b\n");
	s = slurp(moved);
	assert_string_equal(s, "a\n");
	free(s);
	s = slurp(path);
	assert_string_equal(s, "b\n");
	free(s);
	assert_int_equal(unlink(moved), 0);
	assert_int_equal(rename(path, moved), 0);
	write_raw(path, "new\n", 0600);
	put(f, "c\n");
	s = slurp(path);
	assert_string_equal(s, "new\nc\n");
	free(s);
	s = slurp(moved);
	assert_string_equal(s, "b\n");
	free(s);
	rotating_file_close(f);
	free(path);
	free(moved);
}

/* The directory removed (and recreated by somebody, or not) or moved: the
 * directory path is resolved again, missing directories created. */
static void test_directory_gone_reopened(void **state)
{
	const char *dir = *state;
	char *sub = pathf(dir, "a/b"), *path = pathf(dir, "a/b/tetragon.log"), *sub2 = pathf(dir, "a/c");
	char *in2 = pathf(dir, "a/c/tetragon.log"), *s;
	struct rotating_file *f = open_rf(path, 0, 0, 0, 0600);

	put(f, "a\n");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(sub), 0);
	rotating_file_tick(f, 1);
	assert_int_equal(mode_of(sub), 0755);
	put(f, "b\n");
	s = slurp(path);
	assert_string_equal(s, "b\n");
	free(s);
	/* moved: the file is still linked, in the moved directory */
	assert_int_equal(rename(sub, sub2), 0);
	put(f, "c\n");	/* not seen before the tick: lands in the moved file */
	rotating_file_tick(f, 2);
	put(f, "d\n");
	s = slurp(in2);
	assert_string_equal(s, "b\nc\n");
	free(s);
	s = slurp(path);
	assert_string_equal(s, "d\n");
	free(s);
	/* a rotation (SIGHUP) right after the directory went: still works */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rotating_file_rotate(f), 0);
	put(f, "e\n");
	s = slurp(path);
	assert_string_equal(s, "e\n");
	free(s);
	rotating_file_close(f);
	free(sub);
	free(path);
	free(sub2);
	free(in2);
}

/* Moved away and another user's file put at the path: that file is not
 * opened, not rotated away, not touched; the moved file keeps the records. */
static void test_foreign_file_at_path_left_alone(void **state)
{
	const char *dir = *state;
	char *path = pathf(dir, "tetragon.log"), *moved = pathf(dir, "moved.log"), *s;
	struct rotating_file *f;

	if (geteuid() != 0)
		skip();
	f = open_rf(path, 0, 0, 0, 0600);
	put(f, "a\n");
	assert_int_equal(rename(path, moved), 0);
	write_raw(path, "theirs\n", 0644);
	assert_int_equal(chown(path, 65534, 65534), 0);
	put(f, "b\n");
	assert_int_equal(rotating_file_rotate(f), -EEXIST);
	rotating_file_tick(f, 1);
	put(f, "c\n");
	s = slurp(path);
	assert_string_equal(s, "theirs\n");
	free(s);
	assert_int_equal(stat_of(path).st_uid, 65534);
	s = slurp(moved);
	assert_string_equal(s, "a\nb\nc\n");
	free(s);
	assert_int_equal(count(dir, "tetragon-" TS_RE "\\.log"), 0);
	rotating_file_close(f);
	free(path);
	free(moved);
}

/* Deleted and the path cannot be opened again (a file where its directory
 * was): writes fail (the caller counts them lost) instead of vanishing into
 * the deleted file; once the path works again, writes land there. */
static void test_deleted_and_unopenable(void **state)
{
	const char *dir = *state;
	char *sub = pathf(dir, "d"), *path = pathf(dir, "d/tetragon.log"), *s;
	struct rotating_file *f = open_rf(path, 0, 0, 0, 0600);
	size_t kept = 9;

	put(f, "a\n");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(sub), 0);
	write_raw(sub, "not a directory\n", 0600);
	rotating_file_tick(f, 1);
	assert_true(rotating_file_write(f, "b\n", 2, &kept) < 0);
	assert_int_equal(kept, 0);
	assert_int_equal(unlink(sub), 0);
	/* retried at most once a second */
	sleep(1);
	rotating_file_tick(f, 2);
	put(f, "c\n");
	s = slurp(path);
	assert_string_equal(s, "c\n");
	free(s);
	rotating_file_close(f);
	free(sub);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_size_boundary_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_name_pattern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_backups_pruning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_backups_keeps_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compress_leftover_on_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_perm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_rotates_full_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_write_fills_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_millisecond_rotations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_creates_parents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_rotation_keeps_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_regular_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_modes_and_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_traps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_backups_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_write_keeps_whole_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_file_reopened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moved_file_reopened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_gone_reopened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_and_unopenable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_file_at_path_left_alone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
