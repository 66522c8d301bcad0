// SPDX-License-Identifier: Apache-2.0
#include "export/rotating_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "util/log.h"
#include "util/safe_path.h"

/* "2006-01-02T15-04-05.000" in Go layout terms: fixed width, so backups
 * sort by name exactly as they sort by time. */
#define TS_LEN 23
#define GZ_SUFFIX ".gz"
#define GZ_TMP_SUFFIX ".tmp"
#define DEFAULT_PERM 0600
/* A failed size-triggered rotation is retried at most this often, so a
 * read-only directory costs one warning a second, not one per event. */
#define ROTATE_RETRY_MS 1000
/* Same-millisecond rotations wait for the next millisecond; give up after
 * this many (the clock would have to be stuck, or stepped far back onto
 * existing backups). */
#define NAME_RETRIES 2000
#define COPY_CHUNK (64 * 1024)

struct rotating_file {
	char *path;
	char *dir;		/* "." when the path has no '/'; for messages */
	char *base;		/* the live file's name in dirfd */
	char *prefix;		/* "<stem>-" */
	char *ext;		/* "" or ".log" */
	/* The directory, checked once (src/util/safe_path.h) and held: every
	 * later rename, create and unlink happens in it, never through a path. */
	int dirfd;
	int fd;
	int regular;		/* rotation only makes sense for regular files */
	int first_write;	/* lumberjack's first write rotates at size+len >= max */
	unsigned long long size;
	unsigned long long max;
	int max_backups;
	int compress;
	mode_t perm;
	uint64_t interval_ms;
	uint64_t last_tick_rotation_ms;
	int tick_started;
	uint64_t retry_after_ms;
	/* Reopening after the file or its directory went away: at most once
	 * a second while it fails, one warning per failing spell. */
	uint64_t reopen_after_ms;
	int reopen_failing;
	int unwatched;		/* the filesystem's inode numbers cannot tell: no checks */
	char why[SAFE_WHY_MAX];	/* the last failure, for the log */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_1ms(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

/* Splits the path like Go's filepath.Dir/Base/Ext, which lumberjack uses to
 * name backups. */
static int split_path(struct rotating_file *f)
{
	const char *slash = strrchr(f->path, '/');
	const char *base = slash ? slash + 1 : f->path;
	const char *dot = strrchr(base, '.');
	size_t stem_len = dot ? (size_t)(dot - base) : strlen(base);

	if (!*base)
		return -EINVAL;
	if (!slash)
		f->dir = strdup(".");
	else if (slash == f->path)
		f->dir = strdup("/");
	else
		f->dir = strndup(f->path, (size_t)(slash - f->path));
	f->ext = strdup(dot ? dot : "");
	f->base = strdup(base);
	if (!f->dir || !f->ext || !f->base || asprintf(&f->prefix, "%.*s-", (int)stem_len, base) < 0) {
		f->prefix = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void format_ts(char out[TS_LEN + 1])
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	/* Go's Format truncates the fraction; so do we. */
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H-%M-%S", &tm);
	snprintf(out, TS_LEN + 1, "%.19s.%03u", buf, (unsigned)(ts.tv_nsec / 1000000) % 1000);
}

static int num(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Accepts exactly what time.Parse accepts for the backup layout, so we prune
 * the same files lumberjack would and leave foreign ones alone. */
static int valid_ts(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se, ms, dim;

	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != '-' ||
	    s[16] != '-' || s[19] != '.')
		return 0;
	if (num(s, 4, &y) || num(s + 5, 2, &mo) || num(s + 8, 2, &d) ||
	    num(s + 11, 2, &h) || num(s + 14, 2, &mi) || num(s + 17, 2, &se) ||
	    num(s + 20, 3, &ms))
		return 0;
	if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59)
		return 0;
	dim = mdays[mo - 1];
	if (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		dim = 29;
	return d >= 1 && d <= dim;
}

static int write_all(int fd, const char *p, size_t n, size_t *done)
{
	*done = 0;
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		*done += (size_t)w;
	}
	return 0;
}

/* Creates @name in the directory for writing, new (O_EXCL), with the
 * configured mode; a leftover of ours under that name (a crash during
 * compression) is removed first, anybody else's is refused. */
static int create_new(struct rotating_file *f, const char *name)
{
	struct safe_open_opts so = {
		.oflags = O_WRONLY | O_CREAT | O_EXCL, .mode = f->perm, .may_write = f->perm & 022,
	};
	struct stat st;
	int fd = safe_openat(f->dirfd, f->dir, name, &so, f->why, sizeof(f->why));

	if (fd != -EEXIST || fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) ||
	    S_ISDIR(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()))
		return fd;
	if (unlinkat(f->dirfd, name, 0))
		return -errno;
	return safe_openat(f->dirfd, f->dir, name, &so, f->why, sizeof(f->why));
}

/* Gzips @src into @dst through "<dst>.tmp" (so a crash never leaves a
 * truncated .gz under the final name), then removes @src. Only a backup
 * of ours is read (a regular file owned by root, one link); the .gz is a
 * new file with the configured mode. */
static int compress_file(struct rotating_file *f, const char *src, const char *dst)
{
	struct safe_open_opts ro = { .oflags = O_RDONLY, .may_write = 022 };
	unsigned char *in = NULL, *out = NULL;
	char *tmp = NULL;
	int sfd, tfd = -1, err = 0, zerr = Z_OK, zinit = 0;
	z_stream zs = { 0 };
	size_t done;

	sfd = safe_openat(f->dirfd, f->dir, src, &ro, f->why, sizeof(f->why));
	if (sfd < 0)
		return sfd;
	in = malloc(COPY_CHUNK);
	out = malloc(COPY_CHUNK);
	if (!in || !out || asprintf(&tmp, "%s%s", dst, GZ_TMP_SUFFIX) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto out;
	}
	tfd = create_new(f, tmp);
	if (tfd < 0) {
		err = tfd;
		free(tmp);
		tmp = NULL;	/* not ours to unlink */
		goto out;
	}
	/* windowBits 15 + 16: gzip framing rather than zlib's. */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		err = -ENOMEM;
		goto out;
	}
	zinit = 1;
	for (int flush = Z_NO_FLUSH; flush != Z_FINISH;) {
		ssize_t n = read(sfd, in, COPY_CHUNK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		zs.next_in = in;
		zs.avail_in = (uInt)n;
		do {
			zs.next_out = out;
			zs.avail_out = COPY_CHUNK;
			zerr = deflate(&zs, flush);
			if (zerr == Z_STREAM_ERROR) {
				err = -EIO;
				goto out;
			}
			err = write_all(tfd, (char *)out, COPY_CHUNK - zs.avail_out, &done);
			if (err)
				goto out;
		} while (zs.avail_out == 0);
	}
	if (zerr != Z_STREAM_END) {
		err = -EIO;
		goto out;
	}
	if (fsync(tfd)) {
		err = -errno;
		goto out;
	}
	err = close(tfd) ? -errno : 0;
	tfd = -1;
	if (err)
		goto out;
	if (renameat(f->dirfd, tmp, f->dirfd, dst)) {
		err = -errno;
		goto out;
	}
	if (unlinkat(f->dirfd, src, 0))
		err = -errno;
out:
	if (zinit)
		deflateEnd(&zs);
	if (tfd >= 0)
		close(tfd);
	if (err && tmp)
		unlinkat(f->dirfd, tmp, 0);
	if (err && !f->why[0])
		snprintf(f->why, sizeof(f->why), "compressing %s/%s: %s", f->dir, src, strerror(-err));
	close(sfd);
	free(tmp);
	free(in);
	free(out);
	return err;
}

struct backup {
	char *name;
	char ts[TS_LEN + 1];
	int gz;
};

static int backup_cmp_newest_first(const void *a, const void *b)
{
	const struct backup *x = a, *y = b;
	int c = strcmp(y->ts, x->ts);

	return c ? c : x->gz - y->gz;
}

/* "<prefix><ts><ext>" or "<prefix><ts><ext>.gz"; 1 = a backup of ours. */
static int match_backup(const struct rotating_file *f, const char *name, struct backup *b)
{
	size_t pl = strlen(f->prefix), el = strlen(f->ext), nl = strlen(name);
	const char *ts = name + pl;

	if (nl < pl + TS_LEN + el || strncmp(name, f->prefix, pl))
		return 0;
	if (nl == pl + TS_LEN + el)
		b->gz = 0;
	else if (nl == pl + TS_LEN + el + strlen(GZ_SUFFIX) && !strcmp(name + nl - strlen(GZ_SUFFIX), GZ_SUFFIX))
		b->gz = 1;
	else
		return 0;
	if (strncmp(ts + TS_LEN, f->ext, el) || !valid_ts(ts))
		return 0;
	memcpy(b->ts, ts, TS_LEN);
	b->ts[TS_LEN] = '\0';
	return 1;
}

/* Lumberjack's "mill": drop backups beyond max_backups (newest kept; a
 * backup and its .gz count once), then compress what is left uncompressed.
 * Files named like backups but owned by another user (a shared directory
 * such as /tmp) are left alone. Fills f->why on failure. */
static int mill(struct rotating_file *f)
{
	struct backup *v = NULL;
	size_t n = 0, cap = 0, kept = 0, foreign = 0;
	struct dirent *de;
	int err = 0, fd;
	DIR *d;

	f->why[0] = '\0';
	if (!f->regular || (f->max_backups <= 0 && !f->compress))
		return 0;
	fd = openat(f->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(f->why, sizeof(f->why), "cannot list %s: %s", f->dir, strerror(-err));
		return err;
	}
	while ((de = readdir(d))) {
		struct backup b;
		struct stat st;

		if (de->d_type == DT_DIR || !match_backup(f, de->d_name, &b))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || S_ISDIR(st.st_mode))
			continue;
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			foreign++;
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct backup *nv = realloc(v, nc * sizeof(*v));

			if (!nv) {
				err = -ENOMEM;
				goto out;
			}
			v = nv;
			cap = nc;
		}
		b.name = strdup(de->d_name);
		if (!b.name) {
			err = -ENOMEM;
			goto out;
		}
		v[n++] = b;
	}
	if (foreign)
		log_warn("export file %s: %zu file(s) in %s named like its backups belong to another user; "
			 "not pruning or compressing them", f->path, foreign, f->dir);
	if (n)
		qsort(v, n, sizeof(*v), backup_cmp_newest_first);
	for (size_t i = 0; i < n; i++) {
		char *gz;

		if (!i || strcmp(v[i].ts, v[i - 1].ts))
			kept++;
		if (f->max_backups > 0 && kept > (size_t)f->max_backups) {
			if (unlinkat(dirfd(d), v[i].name, 0) && errno != ENOENT && !err) {
				err = -errno;
				snprintf(f->why, sizeof(f->why), "cannot remove %s/%s: %s", f->dir, v[i].name,
					 strerror(errno));
			}
			continue;
		}
		if (!f->compress || v[i].gz)
			continue;
		if (asprintf(&gz, "%s%s", v[i].name, GZ_SUFFIX) >= 0) {
			char why[sizeof(f->why)];
			int e;

			memcpy(why, f->why, sizeof(why));	/* keep the first failure */
			e = compress_file(f, v[i].name, gz);
			if (!e || err)
				memcpy(f->why, why, sizeof(why));
			if (e && !err)
				err = e;
			free(gz);
		} else if (!err) {
			err = -ENOMEM;
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	closedir(d);
	if (err && !f->why[0])
		snprintf(f->why, sizeof(f->why), "%s", strerror(-err));
	return err;
}

/* Renames the live file to a backup name nobody has used yet, not even as
 * a compressed backup. *@bak receives the name. -ENOENT: no live file. */
static int rename_to_backup(struct rotating_file *f, char **bak)
{
	for (int i = 0; i < NAME_RETRIES; i++, sleep_1ms()) {
		char ts[TS_LEN + 1], *name, *gz;
		struct stat st;
		int r, e;

		format_ts(ts);
		if (asprintf(&name, "%s%s%s", f->prefix, ts, f->ext) < 0)
			return -ENOMEM;
		if (asprintf(&gz, "%s%s", name, GZ_SUFFIX) < 0) {
			free(name);
			return -ENOMEM;
		}
		r = fstatat(f->dirfd, gz, &st, AT_SYMLINK_NOFOLLOW);
		free(gz);
		if (!r) {
			free(name);
			continue;
		}
		r = renameat2(f->dirfd, f->base, f->dirfd, name, RENAME_NOREPLACE);
		if (r && (errno == EINVAL || errno == ENOSYS)) {
			/* No RENAME_NOREPLACE on this filesystem: check, then rename
			 * (we are the only writer of these names). */
			if (!fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
				errno = EEXIST;
			else
				r = renameat(f->dirfd, f->base, f->dirfd, name);
		}
		if (!r) {
			*bak = name;
			return 0;
		}
		e = errno;
		free(name);
		if (e != EEXIST)
			return -e;
	}
	return -EEXIST;
}

/* Renames backup @bak back to the live name, unless that name was taken. */
static int restore(struct rotating_file *f, const char *bak)
{
	struct stat st;

	if (!renameat2(f->dirfd, bak, f->dirfd, f->base, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (!fstatat(f->dirfd, f->base, &st, AT_SYMLINK_NOFOLLOW)) {
		errno = EEXIST;
		return -1;
	}
	return renameat(f->dirfd, bak, f->dirfd, f->base);
}

/* The live file: appended to if it is there and ours, else created with
 * the configured mode (@excl: it must be new, as after a rotation). */
static int open_live(struct rotating_file *f, int excl)
{
	struct safe_open_opts so = {
		.oflags = O_WRONLY | O_APPEND | O_CREAT | (excl ? O_EXCL : 0),
		.mode = f->perm,
		.may_write = f->perm & 022,
		.flags = SAFE_ALLOW_CHR,	/* /dev/null, a terminal: written, never rotated */
	};

	return safe_openat(f->dirfd, f->dir, f->base, &so, f->why, sizeof(f->why));
}

enum gone {
	LIVE_OK,
	LIVE_DELETED,		/* no name leads to our file any more */
	LIVE_MOVED,		/* the path names another file, or none */
	LIVE_DIR_GONE,		/* the directory was removed, moved or replaced */
};

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Does the path still lead to the file we write? A file deleted (no link
 * left) or moved away (the name now holds another file, or nothing) is
 * seen from the open descriptor and one fstatat in the held directory.
 * @dir_too: also whether the directory path still leads to the held
 * directory (removed and recreated, or moved); a stat of the path, only a
 * hint: the directory is then resolved again under safe_path's rules.
 */
static enum gone check_live(struct rotating_file *f, int dir_too)
{
	struct stat fst, pst, dst, ds;
	int dead, moved;

	if (!f->regular || f->unwatched || f->fd < 0 || fstat(f->fd, &fst))
		return LIVE_OK;
	dead = fst.st_nlink == 0;
	moved = fstatat(f->dirfd, f->base, &pst, AT_SYMLINK_NOFOLLOW) || !same_file(&fst, &pst);
	if (!dead && !moved && !dir_too)
		return LIVE_OK;
	if (!fstat(f->dirfd, &dst) &&
	    (dst.st_nlink == 0 || stat(f->dir, &ds) || !same_file(&ds, &dst)))
		return LIVE_DIR_GONE;
	return dead ? LIVE_DELETED : moved ? LIVE_MOVED : LIVE_OK;
}

static int still_linked(const struct rotating_file *f)
{
	struct stat st;

	return !fstat(f->fd, &st) && st.st_nlink > 0;
}

/*
 * The export file was deleted or moved away, or its directory: open the
 * path again (the directory resolved again, missing ones created, under
 * the same rules as at startup) and write there from now on. When that
 * fails, a file that still has a name somewhere keeps taking the events
 * (0: they are not lost); a deleted one would swallow them, so every write
 * fails (-errno, counted as lost by the sink) until the path opens again.
 */
static int reopen(struct rotating_file *f, enum gone why)
{
	static const char *const what[] = {
		[LIVE_DELETED] = "was deleted",
		[LIVE_MOVED] = "was moved away or replaced",
		[LIVE_DIR_GONE] = "lost its directory (removed, moved or replaced)",
	};
	uint64_t now = mono_ms();
	struct stat st;
	char *name = NULL;
	int err, fd, dirfd = -1;

	if (now < f->reopen_after_ms)
		return still_linked(f) ? 0 : -ENOENT;
	f->why[0] = '\0';
	if (why == LIVE_DIR_GONE) {
		dirfd = safe_parent_open(f->path, SAFE_MKDIR, &name, f->why, sizeof(f->why));
		free(name);
		if (dirfd < 0) {
			err = dirfd;
			goto fail;
		}
		close(f->dirfd);
		f->dirfd = dirfd;
	}
	fd = open_live(f, 0);
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		goto fail;
	}
	close(f->fd);
	f->fd = fd;
	f->regular = S_ISREG(st.st_mode);
	f->size = (unsigned long long)st.st_size;
	f->reopen_failing = 0;
	log_warn("export file %s %s: opened it again, events continue there", f->path, what[why]);
	if (check_live(f, 0) == LIVE_MOVED && !fstatat(f->dirfd, f->base, &st, AT_SYMLINK_NOFOLLOW) &&
	    still_linked(f)) {
		/* just opened, linked, its name there, and yet "another file":
		 * this filesystem's inode numbers do not tell files apart, and
		 * reopening before every write would not help */
		f->unwatched = 1;
		log_warn("export file %s: cannot tell whether the path still names the open file on this "
			 "filesystem; a deleted or moved export file will not be noticed", f->path);
	}
	return 0;
fail:
	f->reopen_after_ms = now + ROTATE_RETRY_MS;
	if (!f->reopen_failing)
		log_warn("export file %s %s and cannot be opened again (retrying every second): %s", f->path,
			 what[why], f->why[0] ? f->why : strerror(-err));
	f->reopen_failing = 1;
	/* a moved file still takes the events; a deleted one would swallow them */
	return still_linked(f) ? 0 : err;
}

/* 0 when the path leads to our file (again) or the old one still takes
 * the events, else -errno: see reopen(). */
static int ensure_live(struct rotating_file *f, int dir_too)
{
	enum gone g = check_live(f, dir_too);

	return g == LIVE_OK ? 0 : reopen(f, g);
}

/* Fills f->why on failure. */
static int do_rotate(struct rotating_file *f)
{
	struct stat st;
	char *bak = NULL;
	int fd, err, have_old;

	f->why[0] = '\0';
	if (!f->regular)
		return 0;
	/* checked at open; its owner or mode may have changed since */
	err = safe_dirfd_check(f->dirfd, f->dir, f->why, sizeof(f->why));
	if (err)
		return err;
	have_old = !fstatat(f->dirfd, f->base, &st, AT_SYMLINK_NOFOLLOW);
	if (have_old && f->fd >= 0 && !f->unwatched) {
		struct stat fst;

		/* only our own file is renamed to a backup, never one that
		 * took its name and could not be opened (another user's) */
		if (!fstat(f->fd, &fst) && !same_file(&st, &fst)) {
			snprintf(f->why, sizeof(f->why), "%s is no longer the file being written (it was "
				 "replaced by one that cannot be opened); not renaming it", f->path);
			return -EEXIST;
		}
	}
	if (have_old) {
		err = rename_to_backup(f, &bak);
		if (err == -ENOENT) {
			have_old = 0;	/* removed under us: just start afresh */
		} else if (err) {
			snprintf(f->why, sizeof(f->why), "cannot rename %s to a backup name: %s", f->path,
				 strerror(-err));
			return err;
		}
	}
	fd = open_live(f, 1);
	if (fd < 0) {
		/* Put the file back so writes keep landing under the live name;
		 * if even that fails, the old descriptor still works. */
		if (bak && restore(f, bak))
			log_warn("export file %s: cannot restore from %s/%s: %s", f->path, f->dir, bak,
				 strerror(errno));
		free(bak);
		return fd;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		free(bak);
		snprintf(f->why, sizeof(f->why), "%s: %s", f->path, strerror(-err));
		return err;
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->size = (unsigned long long)st.st_size;
	f->first_write = 0;
	if (bak)
		log_debug("export file %s rotated to %s/%s", f->path, f->dir, bak);
	free(bak);
	err = mill(f);
	if (err)
		log_warn("export file %s: cleaning up backups: %s", f->path, f->why);
	return 0;
}

int rotating_file_open(struct rotating_file **ret, const struct rotating_file_opts *o)
{
	struct rotating_file *f;
	struct stat st;
	char *name = NULL;
	int err;

	*ret = NULL;
	if (o && o->err && o->errlen)
		o->err[0] = '\0';
	if (!o || !o->path || !*o->path)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = -1;
	f->dirfd = -1;
	f->max = o->max_size_bytes;
	f->max_backups = o->max_backups;
	f->compress = !!o->compress;
	f->perm = o->perm ? o->perm & 07777 : DEFAULT_PERM;
	f->interval_ms = o->rotation_interval_ms;
	f->path = strdup(o->path);
	err = f->path ? split_path(f) : -ENOMEM;
	if (err) {
		snprintf(f->why, sizeof(f->why), "%s: %s", o->path,
			 err == -EINVAL ? "the path names a directory (it ends in '/')" : strerror(-err));
		goto fail;
	}
	/* missing directories are created (0755) */
	err = safe_parent_open(f->path, SAFE_MKDIR, &name, f->why, sizeof(f->why));
	if (err < 0)
		goto fail;
	f->dirfd = err;
	free(name);
	err = open_live(f, 0);
	if (err < 0)
		goto fail;
	f->fd = err;
	if (fstat(f->fd, &st)) {
		err = -errno;
		goto fail;
	}
	/* Never rename a device away. */
	f->regular = S_ISREG(st.st_mode);
	f->size = (unsigned long long)st.st_size;
	f->first_write = 1;
	if (f->regular && f->max && f->size >= f->max) {
		err = do_rotate(f);
		if (err)
			log_warn("export file %s: cannot rotate full file, appending: %s", f->path, f->why);
	} else {
		err = mill(f);
		if (err)
			log_warn("export file %s: cleaning up backups: %s", f->path, f->why);
	}
	*ret = f;
	return 0;
fail:
	if (o->err && o->errlen)
		snprintf(o->err, o->errlen, "%s", f->why[0] ? f->why : strerror(-err));
	rotating_file_close(f);
	return err;
}

static int needs_size_rotation(const struct rotating_file *f, size_t len)
{
	unsigned long long end = f->size + len;

	/* An empty file is never rotated for size: a record bigger than the
	 * limit then sits alone in its own file instead of being refused. */
	if (!f->regular || !f->max || !f->size)
		return 0;
	return end > f->max || (f->first_write && end == f->max);
}

int rotating_file_write(struct rotating_file *f, const void *buf, size_t len, size_t *kept)
{
	struct stat st;
	size_t done, keep;
	int err;

	if (kept)
		*kept = 0;
	if (!f || f->fd < 0)
		return -EBADF;
	if (!len)
		return 0;
	/* two cheap syscalls per batch: a deleted file never swallows a batch */
	err = ensure_live(f, 0);
	if (err)
		return err;
	if (needs_size_rotation(f, len)) {
		uint64_t now = mono_ms();

		if (now >= f->retry_after_ms) {
			err = ensure_live(f, 1);
			if (!err)
				err = do_rotate(f);
			if (err) {
				f->retry_after_ms = now + ROTATE_RETRY_MS;
				log_warn("export file %s: rotation failed, still appending: %s", f->path,
					 f->why[0] ? f->why : strerror(-err));
			}
		}
	}
	f->first_write = 0;
	err = write_all(f->fd, buf, len, &done);
	if (err) {
		/* Whole lines that made it stay; the torn tail is taken back,
		 * computed from the file itself in case somebody else truncated
		 * it meanwhile. */
		const char *nl = done ? memrchr(buf, '\n', done) : NULL;

		keep = nl ? (size_t)(nl - (const char *)buf) + 1 : 0;
		if (done > keep && !fstat(f->fd, &st) && st.st_size >= (off_t)(done - keep) &&
		    ftruncate(f->fd, st.st_size - (off_t)(done - keep)))
			log_warn("export file %s: cannot drop partial record: %s", f->path, strerror(errno));
		f->size += keep;
		if (kept)
			*kept = keep;
		return err;
	}
	f->size += len;
	if (kept)
		*kept = len;
	return 0;
}

int rotating_file_flush(struct rotating_file *f)
{
	return f && f->fd >= 0 ? 0 : -EBADF;
}

int rotating_file_rotate(struct rotating_file *f)
{
	int err;

	if (!f || f->fd < 0)
		return -EBADF;
	/* a directory removed since would fail the rename: resolve it first */
	(void)ensure_live(f, 1);
	err = do_rotate(f);
	if (err)
		log_warn("export file %s: rotation failed, still appending: %s", f->path,
			 f->why[0] ? f->why : strerror(-err));
	return err;
}

void rotating_file_tick(struct rotating_file *f, uint64_t now_ms)
{
	if (!f)
		return;
	(void)ensure_live(f, 1);
	if (!f->interval_ms)
		return;
	if (!f->tick_started || now_ms < f->last_tick_rotation_ms) {
		f->tick_started = 1;
		f->last_tick_rotation_ms = now_ms;
		return;
	}
	if (now_ms - f->last_tick_rotation_ms < f->interval_ms)
		return;
	f->last_tick_rotation_ms = now_ms;
	log_info("rotating JSON export file %s", f->path);
	rotating_file_rotate(f);
}

void rotating_file_close(struct rotating_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->path);
	free(f->dir);
	free(f->base);
	free(f->prefix);
	free(f->ext);
	free(f);
}
