/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --username-metadata=unix: uid -> user name from the passwd file a
 * process itself sees, <procfs>/<pid>/root/etc/passwd, so a container or
 * chroot gets its own users, not the host's. The file is opened beneath
 * that root (openat2 RESOLVE_IN_ROOT: its symlinks cannot leave it), must
 * be a regular file of at most USERDB_FILE_MAX bytes, and is parsed once
 * per root (mount namespace + root directory) and version. Kept open:
 * while the namespace's mount table did not change (poll) and the file is
 * still linked and unchanged (fstat), the table answers; else the file is
 * looked up again (a bind mount, a rename over it, an edit are seen at
 * once) and read when it changed. Reached through a symlink: looked up
 * every time. No name services: the file only.
 *
 * A process must not be able to make that lookup wait (its own FUSE
 * daemon on the way, or a network file system): the root's mount table
 * (<procfs>/<pid>/mountinfo, kept open and polled for changes) says
 * whether such a file system is mounted at /, /etc or /etc/passwd (then no
 * name) or anywhere at all (then no symlink on the way is followed).
 */
#ifndef TG_PROCESS_USERDB_H
#define TG_PROCESS_USERDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USERDB_FILE_MAX		(4u << 20)
#define USERDB_ROOTS_MAX	128	/* roots cached (two open files each); the least recently used goes */
#define USERDB_NAME_MAX		256

/*
 * A root as the kernel saw it at exec (the exec record), or as stat(2)
 * tells it (userdb_root_of(), for processes found in /proc). The two agree
 * on most file systems; where they do not (btrfs subvolumes, some
 * overlays) the same root is cached twice, never mistaken for another.
 */
struct userdb_key {
	uint32_t mntns;
	uint32_t root_dev;	/* kernel dev_t (major << 20 | minor) */
	uint64_t root_ino;	/* 0: unknown, no name */
};

struct userdb_stats {
	uint64_t resolved;	/* names given */
	uint64_t unknown_uid;	/* uid not in the process' passwd file */
	uint64_t failed;	/* no passwd file to read: process gone, no file, refused (see the log) */
	uint64_t reads;		/* passwd files read and parsed */
	uint64_t roots;		/* roots cached now */
};

struct userdb;

/* @procfs: the /proc to read through (NULL: "/proc"). */
int userdb_new(struct userdb **ret, const char *procfs);
void userdb_free(struct userdb *db);

/*
 * The name of @uid in root @k's passwd file, malloc'd, or NULL (unknown
 * uid, no file; counted). The file is read through the first of @pids
 * (processes the caller knows share that root; checked to still be in
 * mount namespace k->mntns) that can still be opened.
 */
char *userdb_name(struct userdb *db, const struct userdb_key *k, const uint32_t *pids, size_t npids, uint32_t uid);

/* The root of live process @pid, in mount namespace @mntns, by stat(2): 0 or -errno. */
int userdb_root_of(struct userdb *db, uint32_t pid, uint32_t mntns, uint32_t *dev, uint64_t *ino);

void userdb_get_stats(const struct userdb *db, struct userdb_stats *st);

#endif
