// SPDX-License-Identifier: Apache-2.0
#include "util/safe_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* The path text still to walk grows by one symlink target per link. */
#define REM_MAX ((SAFE_MAX_LINKS + 2) * PATH_MAX)
/* O_CREAT without O_EXCL: open, else create; a racing creator makes us look again. */
#define OPEN_TRIES 4
#define TMP_TRIES 8

struct walk {
	const char *orig;	/* the path as given, first in every message */
	char *why;
	size_t whylen;
	int flags;
	int links;
	int cur;		/* O_PATH fd of the checked directory the walk is in */
	struct stat cst;
	char disp[PATH_MAX];	/* its path, for messages */
};

static int trusted_uid(uid_t u)
{
	return u == 0 || u == geteuid();
}

const char *safe_uid_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *r = NULL;
	char tmp[1024];

	if (!getpwuid_r(uid, &pw, tmp, sizeof(tmp), &r) && r)
		snprintf(buf, len, "uid %u (%s)", (unsigned)uid, r->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

static const char *writers(mode_t m)
{
	if ((m & 022) == 022)
		return "group and others";
	return m & 020 ? "its group" : "others";
}

static const char *kind(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symbolic link";
	case S_IFIFO: return "FIFO";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	}
	return "special file";
}

static int wfail(struct walk *w, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int wfail(struct walk *w, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!w->why || !w->whylen)
		return err;
	n = snprintf(w->why, w->whylen, "%s: ", w->orig);
	if (n < 0 || (size_t)n >= w->whylen)
		return err;
	va_start(ap, fmt);
	vsnprintf(w->why + n, w->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return err;
}

/* How a message names @path: "it" when that is the path asked for. */
static const char *obj(const struct walk *w, const char *path)
{
	return strcmp(path, w->orig) ? path : "it";
}

/* @dir + "/" + @name, for messages. */
static const char *child(const struct walk *w, const char *name, char *buf, size_t len)
{
	size_t dl = strlen(w->disp);

	snprintf(buf, len, "%s%s%s", w->disp, dl && w->disp[dl - 1] == '/' ? "" : "/", name);
	return buf;
}

static int check_dir(struct walk *w, const struct stat *st, const char *path)
{
	char u[160];

	if (!S_ISDIR(st->st_mode))
		return wfail(w, -ENOTDIR, "%s is a %s, not a directory", path, kind(st->st_mode));
	if (!trusted_uid(st->st_uid))
		return wfail(w, -EPERM,
			     "directory %s is owned by %s, mode %04o, not by root: that user can replace or "
			     "redirect what is in it; use a directory owned by root that only root can write",
			     path, safe_uid_name(st->st_uid, u, sizeof(u)), st->st_mode & 07777);
	if ((st->st_mode & 022) && !(st->st_mode & S_ISVTX))
		return wfail(w, -EPERM,
			     "directory %s (owner %s, mode %04o) is writable by %s and has no sticky bit: they "
			     "can replace or redirect what is in it; run 'chmod go-w %s' or use another directory",
			     path, safe_uid_name(st->st_uid, u, sizeof(u)), st->st_mode & 07777,
			     writers(st->st_mode), path);
	return 0;
}

static int check_file(struct walk *w, const struct stat *st, const char *path, const struct safe_open_opts *o)
{
	int reading = (o->oflags & O_ACCMODE) == O_RDONLY;
	const char *it = obj(w, path);
	mode_t m = st->st_mode & 07777;
	char u[160];

	safe_uid_name(st->st_uid, u, sizeof(u));
	if (S_ISDIR(st->st_mode))
		return wfail(w, -EISDIR, "%s is a directory; give the path of a file", it);
	if (S_ISLNK(st->st_mode))
		return wfail(w, -ELOOP, "%s is a symbolic link (owner %s): refusing to %s through a symbolic "
			     "link; give the real path", it, u, reading ? "read" : "write");
	if (S_ISCHR(st->st_mode) && (o->flags & SAFE_ALLOW_CHR))
		return 0;
	if (!S_ISREG(st->st_mode))
		return wfail(w, -EINVAL, "%s is a %s (owner %s), not a regular file; give the path of a "
			     "regular file", it, kind(st->st_mode), u);
	if (!trusted_uid(st->st_uid))
		return wfail(w, -EPERM, "%s is owned by %s, mode %04o, not by root: another user made it, so "
			     "they would %s; remove it%s or use another path", it, u, m,
			     reading ? "decide what the agent loads" : "control what the agent writes into",
			     reading ? "" : " (the agent then creates its own)");
	if (st->st_nlink != 1)
		return wfail(w, -EMLINK, "%s has %lu hard links (owner %s, mode %04o): it may be another file "
			     "under a second name; remove the extra names or use another path",
			     it, (unsigned long)st->st_nlink, u, m);
	if (st->st_mode & 022 & ~o->may_write)
		return wfail(w, -EPERM, "%s (owner %s, mode %04o) is writable by %s, who could change %s; "
			     "run 'chmod go-w %s'", it, u, m, writers(st->st_mode & 022 & ~o->may_write),
			     reading ? "what the agent loads" : "what the agent wrote", path);
	return 0;
}

static int enter_root(struct walk *w)
{
	struct stat st;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return wfail(w, -e, "cannot open /: %s", strerror(e));
	}
	if (check_dir(w, &st, "/")) {
		close(fd);
		return -EPERM;
	}
	if (w->cur >= 0)
		close(w->cur);
	w->cur = fd;
	w->cst = st;
	strcpy(w->disp, "/");
	return 0;
}

static int go_up(struct walk *w)
{
	char parent[PATH_MAX + 4], *slash;
	struct stat st;
	int fd, err;

	snprintf(parent, sizeof(parent), "%s", w->disp);
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), "%s/..", w->disp);	/* a relative name from the caller */
	else if (slash != parent)
		*slash = '\0';
	else
		strcpy(parent, "/");
	fd = openat(w->cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return wfail(w, -e, "cannot open the parent of %s: %s", w->disp, strerror(e));
	}
	err = check_dir(w, &st, parent);
	if (err) {
		close(fd);
		return err;
	}
	close(w->cur);
	w->cur = fd;
	w->cst = st;
	if (strlen(parent) < sizeof(w->disp))
		memcpy(w->disp, parent, strlen(parent) + 1);
	return 0;
}

/* Replaces the text still to walk with the target of symlink @name (in the
 * current directory) followed by @rest. */
static int follow(struct walk *w, const char *name, const struct stat *st, char **rem, const char *rest)
{
	char path[PATH_MAX + NAME_MAX + 2], u[160], *target, *n;
	ssize_t len;
	size_t rl = strlen(rest);

	child(w, name, path, sizeof(path));
	if (!trusted_uid(st->st_uid))
		return wfail(w, -ELOOP, "%s is a symbolic link owned by %s%s%s: refusing to follow a link "
			     "another user made; remove it or give the real path",
			     obj(w, path), safe_uid_name(st->st_uid, u, sizeof(u)),
			     (w->cst.st_mode & 022) ? " in the shared directory " : "",
			     (w->cst.st_mode & 022) ? w->disp : "");
	if (++w->links > SAFE_MAX_LINKS)
		return wfail(w, -ELOOP, "more than %d symbolic links to follow (at %s)", SAFE_MAX_LINKS, path);
	target = malloc(PATH_MAX);
	if (!target)
		return -ENOMEM;
	len = readlinkat(w->cur, name, target, PATH_MAX);
	if (len < 0 || len >= PATH_MAX) {
		int e = len < 0 ? errno : ENAMETOOLONG;

		free(target);
		return wfail(w, -e, "cannot read the symbolic link %s: %s", path, strerror(e));
	}
	target[len] = '\0';
	if (!len) {
		free(target);
		return wfail(w, -ENOENT, "the symbolic link %s is empty", path);
	}
	if ((size_t)len + rl + 2 > REM_MAX) {
		free(target);
		return wfail(w, -ENAMETOOLONG, "the path grows too long following %s", path);
	}
	if (asprintf(&n, "%s%s%s", target, rl && rest[0] != '/' ? "/" : "", rest) < 0) {
		free(target);
		return -ENOMEM;
	}
	free(target);
	free(*rem);
	*rem = n;
	return 0;
}

enum want { WANT_DIR, WANT_PARENT, WANT_FILE };

/*
 * Walks @path from w->cur (a checked directory; an absolute path restarts
 * at /). WANT_DIR: w->cur ends as the named directory. WANT_PARENT and
 * WANT_FILE: w->cur ends as the directory holding the last component,
 * returned in *@last; WANT_FILE first follows it while it is a trusted
 * symlink.
 */
static int walk(struct walk *w, const char *path, enum want want, char **last)
{
	char *rem = strdup(path), comp[NAME_MAX + 1], cpath[PATH_MAX + NAME_MAX + 2];
	size_t p = 0;
	int err = 0;

	if (!rem)
		return -ENOMEM;
	for (;;) {
		size_t start, q, len;
		struct stat st;
		int fd, is_last;

		if (p == 0 && rem[0] == '/') {
			err = enter_root(w);
			if (err)
				break;
		}
		while (rem[p] == '/')
			p++;
		if (!rem[p]) {
			if (want != WANT_DIR)
				err = wfail(w, -EISDIR, "%s is a directory; give the path of a file", w->disp);
			break;
		}
		start = p;
		while (rem[p] && rem[p] != '/')
			p++;
		len = p - start;
		if (len > NAME_MAX) {
			err = wfail(w, -ENAMETOOLONG, "a component of the path is longer than %d bytes", NAME_MAX);
			break;
		}
		memcpy(comp, rem + start, len);
		comp[len] = '\0';
		for (q = p; rem[q] == '/'; q++)
			;
		is_last = !rem[q];
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			err = go_up(w);
			if (err)
				break;
			continue;
		}
		child(w, comp, cpath, sizeof(cpath));
		if (strlen(cpath) >= sizeof(w->disp)) {
			err = wfail(w, -ENAMETOOLONG, "the path is longer than %d bytes", PATH_MAX - 1);
			break;
		}
		if (is_last && want != WANT_DIR) {
			if (q > p) {
				err = wfail(w, -EINVAL, "the path ends in '/', so it names a directory; give the "
					    "path of a file");
				break;
			}
			if (want == WANT_FILE && !fstatat(w->cur, comp, &st, AT_SYMLINK_NOFOLLOW) &&
			    S_ISLNK(st.st_mode)) {
				err = follow(w, comp, &st, &rem, rem + p);
				if (err)
					break;
				p = 0;
				continue;
			}
			*last = strdup(comp);
			if (!*last)
				err = -ENOMEM;
			break;
		}
		fd = openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && (w->flags & SAFE_MKDIR)) {
			/* never group/other writable, whatever the umask */
			if (mkdirat(w->cur, comp, 0755) && errno != EEXIST) {
				int e = errno;

				err = wfail(w, -e, "cannot create directory %s: %s", cpath, strerror(e));
				break;
			}
			fd = openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0 || fstat(fd, &st)) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			if (e == ENOENT)
				err = wfail(w, -ENOENT, "%s does not exist", cpath);
			else
				err = wfail(w, -e, "cannot open %s: %s", cpath, strerror(e));
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			close(fd);
			err = follow(w, comp, &st, &rem, rem + p);
			if (err)
				break;
			p = 0;
			continue;
		}
		err = check_dir(w, &st, cpath);
		if (err) {
			close(fd);
			break;
		}
		close(w->cur);
		w->cur = fd;
		w->cst = st;
		snprintf(w->disp, sizeof(w->disp), "%s", cpath);
	}
	free(rem);
	return err;
}

static void walk_init(struct walk *w, const char *orig, int flags, char *why, size_t whylen)
{
	memset(w, 0, sizeof(*w));
	w->orig = orig;
	w->why = why;
	w->whylen = whylen;
	w->flags = flags;
	w->cur = -1;
	if (why && whylen)
		why[0] = '\0';
}

static void walk_done(struct walk *w)
{
	if (w->cur >= 0)
		close(w->cur);
	w->cur = -1;
}

/* Walks an absolute path, or a relative one as getcwd() + "/" + path. */
static int walk_path(struct walk *w, const char *path, enum want want, char **last)
{
	char *abs = NULL, cwd[PATH_MAX];
	int err;

	if (!path || !*path)
		return wfail(w, -EINVAL, "empty path");
	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)) || cwd[0] != '/')
			return wfail(w, -errno ? -errno : -ENOENT, "cannot resolve a relative path: the "
				     "current directory is unknown");
		if (asprintf(&abs, "%s/%s", cwd, path) < 0)
			return -ENOMEM;
	}
	err = walk(w, abs ? abs : path, want, last);
	free(abs);
	return err;
}

/* Starts a walk in a directory fd the caller holds. */
static int walk_from(struct walk *w, int dirfd, const char *dirpath)
{
	struct stat st;
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return wfail(w, -e, "cannot use directory %s: %s", dirpath, strerror(e));
	}
	snprintf(w->disp, sizeof(w->disp), "%s", dirpath);
	w->cur = fd;
	w->cst = st;
	return check_dir(w, &st, w->disp);
}

int safe_dirfd_check(int dirfd, const char *dirpath, char *why, size_t whylen)
{
	struct walk w;
	int err;

	walk_init(&w, dirpath, 0, why, whylen);
	err = walk_from(&w, dirfd, dirpath);
	walk_done(&w);
	return err;
}

int safe_dir_open(const char *path, int flags, char *why, size_t whylen)
{
	struct walk w;
	int err;

	walk_init(&w, path, flags, why, whylen);
	err = walk_path(&w, path, WANT_DIR, NULL);
	if (err) {
		walk_done(&w);
		return err;
	}
	return w.cur;
}

int safe_parent_open(const char *path, int flags, char **name, char *why, size_t whylen)
{
	struct walk w;
	int err;

	*name = NULL;
	walk_init(&w, path, flags, why, whylen);
	err = walk_path(&w, path, WANT_PARENT, name);
	if (err) {
		walk_done(&w);
		return err;
	}
	return w.cur;
}

/* Opens @name in w->cur (the last component, already walked to) and checks it. */
static int open_last(struct walk *w, const char *name, const struct safe_open_opts *o)
{
	int create = o->oflags & O_CREAT, excl = o->oflags & O_EXCL;
	int base = (o->oflags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	mode_t mode = o->mode ? o->mode & 07777 : 0600;
	char path[PATH_MAX + NAME_MAX + 2];
	struct stat st;
	int fd = -1, e = 0, err;

	child(w, name, path, sizeof(path));
	for (int i = 0; i < OPEN_TRIES; i++) {
		if (create && excl) {
			fd = openat(w->cur, name, base | O_CREAT | O_EXCL, mode);
		} else {
			fd = openat(w->cur, name, base);
			if (fd < 0 && errno == ENOENT && create) {
				fd = openat(w->cur, name, base | O_CREAT | O_EXCL, mode);
				if (fd < 0 && errno == EEXIST)
					continue;	/* made meanwhile: open that one */
			}
		}
		break;
	}
	if (fd < 0) {
		e = errno;
		/* Say what is there rather than a bare errno (ELOOP, ENXIO for a FIFO). */
		if (e != ENOENT && !fstatat(w->cur, name, &st, AT_SYMLINK_NOFOLLOW)) {
			err = check_file(w, &st, path, o);
			if (err)
				return err;
			if (e == EEXIST)
				return wfail(w, -EEXIST, "%s already exists; the agent only creates new files "
					     "here", obj(w, path));
		}
		if (e == ENOENT)
			return wfail(w, -ENOENT, "%s does not exist", obj(w, path));
		return wfail(w, -e, "cannot open %s: %s", obj(w, path), strerror(e));
	}
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		return wfail(w, -e, "cannot stat %s: %s", path, strerror(e));
	}
	err = check_file(w, &st, path, o);
	if (!err && !(o->oflags & O_NONBLOCK)) {
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK))
			err = wfail(w, -errno, "cannot set up %s: %s", path, strerror(errno));
	}
	if (!err && (o->oflags & O_TRUNC) && S_ISREG(st.st_mode) && ftruncate(fd, 0))
		err = wfail(w, -errno, "cannot truncate %s: %s", path, strerror(errno));
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int safe_open(const char *path, const struct safe_open_opts *o, char *why, size_t whylen)
{
	struct walk w;
	char *name = NULL;
	int err;

	walk_init(&w, path, o->flags, why, whylen);
	err = walk_path(&w, path, (o->flags & SAFE_FOLLOW) ? WANT_FILE : WANT_PARENT, &name);
	if (!err)
		err = open_last(&w, name, o);
	free(name);
	walk_done(&w);
	return err;
}

int safe_openat(int dirfd, const char *dirpath, const char *name, const struct safe_open_opts *o,
		char *why, size_t whylen)
{
	char orig[PATH_MAX + NAME_MAX + 2], *last = NULL;
	struct walk w;
	int err;

	snprintf(orig, sizeof(orig), "%s%s%s", dirpath,
		 *dirpath && dirpath[strlen(dirpath) - 1] != '/' ? "/" : "", name);
	walk_init(&w, orig, o->flags, why, whylen);
	if (!name || !*name)
		return wfail(&w, -EINVAL, "empty file name");
	err = walk_from(&w, dirfd, dirpath);
	if (!err)
		err = walk(&w, name, (o->flags & SAFE_FOLLOW) ? WANT_FILE : WANT_PARENT, &last);
	if (!err)
		err = open_last(&w, last, o);
	free(last);
	walk_done(&w);
	return err;
}

int safe_check_dir(const char *path, char *why, size_t whylen)
{
	int fd = safe_dir_open(path, 0, why, whylen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int safe_check_file(const char *path, char *why, size_t whylen)
{
	struct safe_open_opts o = { .oflags = O_RDONLY, .flags = SAFE_FOLLOW };
	int fd = safe_open(path, &o, why, whylen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t r = write(fd, p, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The atomic replace of @name in w->cur. */
static int write_last(struct walk *w, const char *name, const void *buf, size_t len, mode_t mode,
		      struct stat *out)
{
	char path[PATH_MAX + NAME_MAX + 2], tmp[NAME_MAX + 1], u[160];
	struct stat st;
	int fd = -1, err = 0;

	child(w, name, path, sizeof(path));
	if (!fstatat(w->cur, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (S_ISDIR(st.st_mode))
			return wfail(w, -EISDIR, "%s is a directory; give the path of a file", path);
		if (!trusted_uid(st.st_uid))
			return wfail(w, -EPERM, "%s is owned by %s, mode %04o, not by root: not replacing "
				     "another user's file; remove it or use another path", obj(w, path),
				     safe_uid_name(st.st_uid, u, sizeof(u)), st.st_mode & 07777);
	}
	for (int i = 0; i < TMP_TRIES && fd < 0; i++) {
		unsigned long long r;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return wfail(w, -EIO, "cannot get random bytes for a temporary name");
		snprintf(tmp, sizeof(tmp), ".%.200s.%016llx", name, r);
		fd = openat(w->cur, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		return wfail(w, -errno, "cannot create a temporary file in %s: %s", w->disp, strerror(errno));
	err = write_all(fd, buf, len);
	if (!err && fchmod(fd, mode & 07777))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (!err && fstat(fd, &st))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(w->cur, tmp, w->cur, name))
		err = -errno;
	if (err) {
		unlinkat(w->cur, tmp, 0);
		return wfail(w, err, "cannot write %s: %s", path, strerror(-err));
	}
	if (out)
		*out = st;
	return 0;
}

int safe_write_file(const char *path, const void *buf, size_t len, mode_t mode, struct stat *st,
		    char *why, size_t whylen)
{
	struct walk w;
	char *name = NULL;
	int err;

	walk_init(&w, path, 0, why, whylen);
	err = walk_path(&w, path, WANT_PARENT, &name);
	if (!err)
		err = write_last(&w, name, buf, len, mode, st);
	free(name);
	walk_done(&w);
	return err;
}

int safe_write_fileat(int dirfd, const char *dirpath, const char *name, const void *buf, size_t len,
		      mode_t mode, struct stat *st, char *why, size_t whylen)
{
	char orig[PATH_MAX + NAME_MAX + 2], *last = NULL;
	struct walk w;
	int err;

	snprintf(orig, sizeof(orig), "%s%s%s", dirpath,
		 *dirpath && dirpath[strlen(dirpath) - 1] != '/' ? "/" : "", name ? name : "");
	walk_init(&w, orig, 0, why, whylen);
	if (!name || !*name)
		return wfail(&w, -EINVAL, "empty file name");
	err = walk_from(&w, dirfd, dirpath);
	if (!err)
		err = walk(&w, name, WANT_PARENT, &last);
	if (!err)
		err = write_last(&w, last, buf, len, mode, st);
	free(last);
	walk_done(&w);
	return err;
}
