/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening the files the agent (root) writes or trusts without letting
 * another local user redirect it.
 *
 * A path is walked from / one component at a time (openat(O_PATH |
 * O_NOFOLLOW) and fstat), so every name is looked up in a directory that
 * was checked first. The rules:
 *  - a directory looked into is owned by root or the agent's euid and is
 *    not writable by group/other, unless it has the sticky bit (/tmp);
 *    there every entry the walk uses must be owned by root/us;
 *  - a symlink on the way is followed only when owned by root/us (its
 *    directory passed the rule above); at most SAFE_MAX_LINKS of them;
 *  - ".." goes to the checked parent; a relative path is walked from / as
 *    getcwd() + "/" + path;
 *  - the file: opened O_NOFOLLOW | O_CLOEXEC (and O_NONBLOCK while opening,
 *    so a FIFO cannot block us), then fstat'ed: a regular file owned by
 *    root/us, one hard link, not writable by group/other beyond what the
 *    caller allows. New files are created O_CREAT | O_EXCL, mode 0600
 *    unless asked otherwise; nothing is ever chowned to another user.
 *
 * Every function takes @why/@whylen (may be NULL/0) and fills it on failure
 * with one sentence: the path, the object at fault with its owner and mode,
 * what is wrong and what to do. Return values: >= 0 (an fd, or 0) or
 * -errno: -EPERM untrusted owner or permissions, -ELOOP a symlink that is
 * not followed (or too many), -EMLINK a hard-linked file, -EINVAL not a
 * regular file (or a bad path), -EISDIR a directory, -ENOTDIR, -ENOENT, or
 * what the system call said.
 */
#ifndef TG_UTIL_SAFE_PATH_H
#define TG_UTIL_SAFE_PATH_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define SAFE_WHY_MAX 1024	/* a @why buffer of this size never truncates a message */
#define SAFE_MAX_LINKS 40	/* symlinks followed in one walk, like the kernel's */

/* flags */
#define SAFE_MKDIR	0x1	/* create missing directories (mode 0755, never group/other writable) */
#define SAFE_FOLLOW	0x2	/* the last component may be a trusted symlink (reads only) */
#define SAFE_ALLOW_CHR	0x4	/* a character device (/dev/null, a tty) is accepted as the file */

struct safe_open_opts {
	int oflags;		/* O_RDONLY, O_WRONLY | O_APPEND, ... with O_CREAT, O_EXCL, O_TRUNC */
	mode_t mode;		/* for a new file; 0 = 0600 (the umask applies) */
	mode_t may_write;	/* group/other write bits the file may have (e.g. 020), else none */
	int flags;		/* SAFE_* */
};

/* An O_PATH | O_DIRECTORY fd of the trusted directory @path (SAFE_MKDIR:
 * missing ones are created). */
int safe_dir_open(const char *path, int flags, char *why, size_t whylen);

/* The trusted directory holding @path's last component (an O_PATH fd) and
 * that component in *@name (malloc'ed). Refuses a path ending in '/', "."
 * or "..". Flags: SAFE_MKDIR. */
int safe_parent_open(const char *path, int flags, char **name, char *why, size_t whylen);

/* Opens @path with the checks above; returns the fd. With O_CREAT and no
 * O_EXCL an existing file is opened, else created with O_EXCL; O_TRUNC is
 * applied only after the checks passed. */
int safe_open(const char *path, const struct safe_open_opts *o, char *why, size_t whylen);

/* Same for @name (one component, or a relative path walked the same way)
 * inside @dirfd, a directory fd that came from safe_dir_open or
 * safe_parent_open; @dirpath names it in messages. @dirfd is checked again
 * (its owner or mode may have changed since). */
int safe_openat(int dirfd, const char *dirpath, const char *name, const struct safe_open_opts *o,
		char *why, size_t whylen);

/* Check-only, for what the agent reads and trusts (policies): 0 when @path
 * is a trusted directory / a trusted regular file not writable by
 * group/other (a trusted symlink as the last component is followed). */
int safe_check_dir(const char *path, char *why, size_t whylen);
int safe_check_file(const char *path, char *why, size_t whylen);

/* Re-checks a held directory fd: owned by root/us, not writable by
 * group/other unless sticky. */
int safe_dirfd_check(int dirfd, const char *dirpath, char *why, size_t whylen);

/*
 * Replaces @path with @len bytes atomically: a temp file with an
 * unpredictable name is created O_EXCL | O_NOFOLLOW in the same trusted
 * directory, written, fchmod'ed to exactly @mode, fsync'ed and renamed over
 * @path. An existing @path owned by another user, or a directory, is not
 * replaced. @st (may be NULL) receives the new file's stat.
 */
int safe_write_file(const char *path, const void *buf, size_t len, mode_t mode, struct stat *st,
		    char *why, size_t whylen);
int safe_write_fileat(int dirfd, const char *dirpath, const char *name, const void *buf, size_t len,
		      mode_t mode, struct stat *st, char *why, size_t whylen);

/* "uid 65534 (nobody)" into @buf, for messages. */
const char *safe_uid_name(uid_t uid, char *buf, size_t len);

#endif
