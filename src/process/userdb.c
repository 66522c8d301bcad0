// SPDX-License-Identifier: Apache-2.0
#include "process/userdb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/log.h"

struct uent {
	uint32_t uid;
	uint32_t off;		/* the name, in names */
};

struct root {
	struct userdb_key key;
	struct uent *ents;	/* sorted by uid, one per uid (the file's first) */
	size_t n;
	char *names;
	/* the file parsed, to notice a change */
	dev_t fdev;
	ino_t fino;
	struct timespec mtime;
	off_t size;
	uint64_t used;		/* LRU tick */
	/*
	 * Its mount namespace's mountinfo (pins the namespace; polls when a
	 * mount changes) and what it says: a file system a process can make
	 * wait (its own FUSE daemon, a network server) at /, /etc or
	 * /etc/passwd, or anywhere (then no symlink is followed).
	 */
	int mfd;
	bool risky_root, risky_path, risky_any;
	/*
	 * The passwd file read, when no symlink led to it: while no mount
	 * changed and it is still linked and unchanged, the table holds
	 * without a lookup (nor a live process).
	 */
	int pfd;
};

struct userdb {
	char *procfs;
	struct root *roots;
	size_t n;
	uint64_t tick;
	struct userdb_stats st;
	bool warned;
};

int userdb_new(struct userdb **ret, const char *procfs)
{
	struct userdb *db = calloc(1, sizeof(*db));

	if (!db)
		return -ENOMEM;
	db->procfs = strdup(procfs ? procfs : "/proc");
	db->roots = calloc(USERDB_ROOTS_MAX, sizeof(*db->roots));
	if (!db->procfs || !db->roots) {
		userdb_free(db);
		return -ENOMEM;
	}
	*ret = db;
	return 0;
}

static void root_clear(struct root *r)
{
	free(r->ents);
	free(r->names);
	if (r->mfd >= 0)
		close(r->mfd);
	if (r->pfd >= 0)
		close(r->pfd);
	memset(r, 0, sizeof(*r));
	r->mfd = r->pfd = -1;
}

void userdb_free(struct userdb *db)
{
	if (!db)
		return;
	for (size_t i = 0; db->roots && i < db->n; i++)
		root_clear(&db->roots[i]);
	free(db->roots);
	free(db->procfs);
	free(db);
}

static bool key_eq(const struct userdb_key *a, const struct userdb_key *b)
{
	return a->mntns == b->mntns && a->root_dev == b->root_dev && a->root_ino == b->root_ino;
}

static int cmp_uent(const void *a, const void *b)
{
	const struct uent *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;	/* the file's order: the first entry wins */
}

/* A user name worth reporting: printable ASCII, no ':' (it ended at one), not empty. */
static bool name_ok(const char *s, size_t l)
{
	if (!l || l >= USERDB_NAME_MAX || s[0] == '+' || s[0] == '-')
		return false;	/* "+"/"-" lines are NIS compat entries, not users */
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* passwd(5) lines "name:password:uid:gid:gecos:dir:shell" -> r's table. Bad lines are skipped. */
static int parse(struct root *r, char *buf, size_t len)
{
	size_t cap = 0, n = 0, i = 0;
	struct uent *ents = NULL;

	while (i < len) {
		char *line = buf + i, *nl = memchr(line, '\n', len - i), *c1, *c2, *c3, *end;
		size_t l = nl ? (size_t)(nl - line) : len - i;
		unsigned long uid;

		i += l + 1;
		line[l] = '\0';		/* buf has a byte to spare past len */
		c1 = strchr(line, ':');
		if (!c1 || !name_ok(line, (size_t)(c1 - line)))
			continue;
		c2 = strchr(c1 + 1, ':');
		if (!c2)
			continue;
		c3 = strchr(c2 + 1, ':');
		if (!c3 || c3 == c2 + 1 || c2[1] < '0' || c2[1] > '9')
			continue;
		errno = 0;
		uid = strtoul(c2 + 1, &end, 10);
		if (errno || end != c3 || uid > UINT32_MAX)
			continue;
		if (n == cap) {
			struct uent *x = realloc(ents, (cap = cap ? cap * 2 : 64) * sizeof(*x));

			if (!x) {
				free(ents);
				return -ENOMEM;
			}
			ents = x;
		}
		*c1 = '\0';
		ents[n].uid = (uint32_t)uid;
		ents[n].off = (uint32_t)(line - buf);
		n++;
	}
	if (n)
		qsort(ents, n, sizeof(*ents), cmp_uent);
	/* one per uid */
	{
		size_t k = 0;

		for (size_t j = 0; j < n; j++)
			if (!k || ents[k - 1].uid != ents[j].uid)
				ents[k++] = ents[j];
		n = k;
	}
	free(r->ents);
	free(r->names);
	r->ents = ents;
	r->n = n;
	r->names = buf;
	return 0;
}

/* <procfs>/<pid>/root, checked to be in mount namespace @mntns: an O_PATH fd or -errno. */
static int open_root(struct userdb *db, uint32_t pid, uint32_t mntns)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/root", db->procfs, pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* opened after the check: the pid could be another process by now, in another namespace */
	snprintf(path, sizeof(path), "%s/%u/ns/mnt", db->procfs, pid);
	if (stat(path, &st) || (mntns && st.st_ino != mntns)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

/* etc/passwd beneath @rootfd, never outside it: a read-only fd or -errno (-ELOOP: a symlink, when refused). */
static int open_passwd(struct userdb *db, int rootfd, bool symlinks)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		/* symlinks resolve as if rootfd were "/"; no /proc magic links out of it */
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (symlinks ? 0 : RESOLVE_NO_SYMLINKS),
	};
	long fd = syscall(SYS_openat2, rootfd, "etc/passwd", &how, sizeof(how));

	if (fd < 0) {
		int err = -errno;

		if (err == -ENOSYS && !db->warned) {
			log_warn("--username-metadata: openat2(2) is missing (Linux 5.6+ needed): no user names");
			db->warned = true;
		}
		return err;
	}
	return (int)fd;
}

/* A file system whose lookups a process can make wait: its own FUSE daemon, a network server. */
static bool fs_may_block(const char *type)
{
	static const char *const types[] = {
		"fuse", "fuseblk", "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs",
		"afs", "coda", "ncpfs", "lustre", "orangefs", "gfs2", "ocfs2",
	};

	if (!strncmp(type, "fuse.", 5))
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(type, types[i]))
			return true;
	return false;
}

/* mountinfo's octal escapes (\040 for a space) undone in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/*
 * (Re)read r->mfd: which mounts could block a lookup of etc/passwd.
 * Mount points are relative to the process' root, as the kernel shows them.
 */
static int mounts_check(struct root *r)
{
	size_t cap = 64 << 10, len = 0;
	char *buf = malloc(cap), *line, *save = NULL;

	if (!buf)
		return -ENOMEM;
	if (lseek(r->mfd, 0, SEEK_SET) < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		ssize_t k;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= USERDB_FILE_MAX) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		k = read(r->mfd, buf + len, cap - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (!k)
			break;
		len += (size_t)k;
	}
	buf[len] = '\0';
	r->risky_root = r->risky_path = r->risky_any = false;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "id parent maj:min root mountpoint options [optional...] - fstype source super-options" */
		char *f[5], *sep = strstr(line, " - "), *type, *p = line;
		int i;

		if (!sep)
			continue;
		*sep = '\0';
		type = sep + 3;
		type[strcspn(type, " ")] = '\0';
		for (i = 0; i < 5 && p; i++) {
			f[i] = p;
			p = strchr(p, ' ');
			if (p)
				*p++ = '\0';
		}
		if (i < 5 || !fs_may_block(type))
			continue;
		unescape(f[4]);
		r->risky_any = true;
		if (!strcmp(f[4], "/"))
			r->risky_root = true;
		if (!strcmp(f[4], "/") || !strcmp(f[4], "/etc") || !strcmp(f[4], "/etc/passwd"))
			r->risky_path = true;
	}
	free(buf);
	return 0;
}

/* A new mount table for r from @pid (in r's mount namespace, checked by the caller's root fd). */
static int mounts_open(struct userdb *db, struct root *r, uint32_t pid)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, err;

	snprintf(path, sizeof(path), "%s/%u/mountinfo", db->procfs, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* the pid may be another process by now: its namespace must still be the record's */
	snprintf(path, sizeof(path), "%s/%u/ns/mnt", db->procfs, pid);
	if (stat(path, &st) || st.st_ino != r->key.mntns) {
		close(fd);
		return -ESRCH;
	}
	if (r->mfd >= 0)
		close(r->mfd);
	r->mfd = fd;
	err = mounts_check(r);
	if (err) {
		close(r->mfd);
		r->mfd = -1;
	}
	return err;
}

/* Read and parse an open passwd file into r. */
static int load(struct userdb *db, struct root *r, int fd, const struct stat *st)
{
	size_t len = 0;
	char *buf;
	int err;

	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_size < 0 || (uint64_t)st->st_size > USERDB_FILE_MAX)
		return -EFBIG;
	buf = malloc((size_t)st->st_size + 2);
	if (!buf)
		return -ENOMEM;
	/* what is there now, up to the size seen (a file growing meanwhile is cut: read next time) */
	while (len < (size_t)st->st_size + 1) {
		ssize_t k = read(fd, buf + len, (size_t)st->st_size + 1 - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err = -errno;
			free(buf);
			return err;
		}
		if (!k)
			break;
		len += (size_t)k;
	}
	if (len > (size_t)st->st_size)
		len = (size_t)st->st_size;
	buf[len] = '\0';
	err = parse(r, buf, len);
	if (err) {
		free(buf);
		return err;
	}
	r->fdev = st->st_dev;
	r->fino = st->st_ino;
	r->mtime = st->st_mtim;
	r->size = st->st_size;
	db->st.reads++;
	return 0;
}

static bool same_file(const struct root *r, const struct stat *st)
{
	return r->names && r->fdev == st->st_dev && r->fino == st->st_ino && r->size == st->st_size &&
	       r->mtime.tv_sec == st->st_mtim.tv_sec && r->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static struct root *find(struct userdb *db, const struct userdb_key *k)
{
	for (size_t i = 0; i < db->n; i++)
		if (key_eq(&db->roots[i].key, k))
			return &db->roots[i];
	return NULL;
}

/* A slot for a new root: a free one, else the least recently used. */
static struct root *slot(struct userdb *db)
{
	struct root *lru;

	if (db->n < USERDB_ROOTS_MAX) {
		db->roots[db->n].mfd = db->roots[db->n].pfd = -1;
		return &db->roots[db->n++];
	}
	lru = &db->roots[0];
	for (size_t i = 1; i < db->n; i++)
		if (db->roots[i].used < lru->used)
			lru = &db->roots[i];
	root_clear(lru);
	return lru;
}

/*
 * r's table without a lookup: no mount changed in its namespace since (a
 * change makes the mount table be read again) and the file read then is
 * still linked and unchanged.
 */
static bool still_valid(struct root *r)
{
	struct pollfd pfd = { .fd = r->mfd, .events = POLLPRI };
	struct stat st;

	if (r->mfd < 0)
		return false;
	if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLPRI | POLLERR))) {
		if (mounts_check(r)) {
			close(r->mfd);
			r->mfd = -1;
		}
		return false;
	}
	return r->pfd >= 0 && r->names && !fstat(r->pfd, &st) && st.st_nlink && same_file(r, &st);
}

/*
 * Bring r (key k) up to date through pids; 0 when it holds a table now.
 * *reached: a process of the root was opened (the error is the root's).
 */
static int refresh(struct userdb *db, struct root **rp, const struct userdb_key *k, const uint32_t *pids,
		   size_t npids, bool *reached)
{
	int err = -ESRCH;

	*reached = false;
	if (*rp && still_valid(*rp))
		return 0;
	if (*rp && (*rp)->pfd >= 0) {
		close((*rp)->pfd);
		(*rp)->pfd = -1;
	}
	for (size_t i = 0; i < npids; i++) {
		bool sym = false;

		int rfd = open_root(db, pids[i], k->mntns);
		struct stat st;
		int fd;

		if (rfd < 0) {
			err = rfd;
			continue;
		}
		if (!*rp) {
			*rp = slot(db);
			(*rp)->key = *k;
		}
		if ((*rp)->mfd < 0 && (err = mounts_open(db, *rp, pids[i]))) {
			close(rfd);
			continue;
		}
		*reached = true;
		/*
		 * Never a lookup a process can make wait forever (its FUSE daemon
		 * on the way): none where such a file system is on the path, and
		 * symlinks (which may lead anywhere) only where there is none at all.
		 */
		if ((*rp)->risky_path) {
			close(rfd);
			err = -EREMOTE;
			break;
		}
		fd = open_passwd(db, rfd, false);
		if (fd == -ELOOP && !(*rp)->risky_any) {
			fd = open_passwd(db, rfd, true);
			sym = true;
		} else if (fd == -ELOOP) {
			fd = -EREMOTE;
		}
		close(rfd);
		if (fd < 0) {
			err = fd;
			break;		/* the root has no usable file: another pid of it has none either */
		}
		if (fstat(fd, &st)) {
			err = -errno;
			close(fd);
			break;
		}
		err = same_file(*rp, &st) ? 0 : load(db, *rp, fd, &st);
		if (!err && !sym && (*rp)->mfd >= 0)
			(*rp)->pfd = fd;	/* kept: watched by still_valid() */
		else
			close(fd);
		break;
	}
	return err;
}

int userdb_root_of(struct userdb *db, uint32_t pid, uint32_t mntns, uint32_t *dev, uint64_t *ino)
{
	struct root tmp = { .key = { .mntns = mntns }, .mfd = -1, .pfd = -1 };
	struct stat st;
	int fd, err;

	/* a stat of a FUSE root could wait on its daemon: not on such a root */
	err = mounts_open(db, &tmp, pid);
	if (tmp.mfd >= 0)
		close(tmp.mfd);
	if (err)
		return err;
	if (tmp.risky_root)
		return -EREMOTE;
	fd = open_root(db, pid, mntns);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st))
		err = -errno;
	close(fd);
	if (err)
		return err;
	*ino = st.st_ino;
	*dev = (uint32_t)(major(st.st_dev) << 20 | (minor(st.st_dev) & 0xfffff));
	return 0;
}

char *userdb_name(struct userdb *db, const struct userdb_key *key, const uint32_t *pids, size_t npids, uint32_t uid)
{
	struct userdb_key k = *key;
	struct root *r;
	int err = 0;
	size_t lo, hi;

	if (!npids || !k.root_ino)
		goto fail;
	r = find(db, &k);
	{
		bool reached;

		err = refresh(db, &r, &k, pids, npids, &reached);
		/*
		 * A table read before answers only when no process of the root is
		 * left to look through; a root without a usable file (now) has none.
		 */
		if (err && (reached || !r || !r->names)) {
			if (r) {
				root_clear(r);
				r->key = k;	/* an empty slot, looked at again next time */
			}
			if (err != -ESRCH && err != -ENOENT)
				log_debug("--username-metadata: no passwd file for mount namespace %u (pid %u): %s",
					  k.mntns, npids ? pids[0] : 0, strerror(-err));
			goto fail;
		}
	}
	r->used = ++db->tick;
	lo = 0;
	hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->ents[mid].uid == uid) {
			char *name = strdup(r->names + r->ents[mid].off);

			if (name)
				db->st.resolved++;
			return name;
		}
		if (r->ents[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	db->st.unknown_uid++;
	return NULL;
fail:
	db->st.failed++;
	return NULL;
}

void userdb_get_stats(const struct userdb *db, struct userdb_stats *st)
{
	*st = db->st;
	st->roots = db->n;
}
