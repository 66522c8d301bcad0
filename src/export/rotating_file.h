/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Append-only export file with size/time based rotation, laid out on disk
 * the way upstream's exporter (lumberjack, UTC timestamps) does it, so
 * existing log shippers and clean-up scripts keep working:
 *
 *   <dir>/<stem><ext>                         the live file
 *   <dir>/<stem>-2006-01-02T15-04-05.000<ext>  a backup (UTC, millisecond)
 *   <dir>/<stem>-...<ext>.gz                   a compressed backup
 *
 * Deliberate differences from lumberjack, all in favour of never losing
 * or tearing an event:
 *  - a record larger than the size limit is written anyway, alone in a fresh
 *    file (lumberjack refuses the write);
 *  - two rotations inside the same millisecond never share a backup name:
 *    the rotation waits for the clock to move on (lumberjack overwrites);
 *  - if a rotation fails, the record still goes to the current file and the
 *    rotation is retried at most once a second;
 *  - a write that fails half-way is cut back to its last whole line, so
 *    readers never see half a line, and the caller learns what stayed;
 *  - a live file deleted or moved away, or its directory removed or
 *    replaced, is noticed (before each write and on each tick) and the path
 *    opened again, with a warning; lumberjack writes on into the old inode;
 *  - compression and pruning of old backups run synchronously, right after
 *    the rename, instead of on a background goroutine.
 *
 * Not thread-safe: one writer (the pipeline thread) owns the object.
 */
#ifndef TG_EXPORT_ROTATING_FILE_H
#define TG_EXPORT_ROTATING_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rotating_file;

struct rotating_file_opts {
	const char *path;
	unsigned long long max_size_bytes;	/* 0 = never rotate on size */
	int max_backups;			/* <= 0 = keep every backup */
	int compress;				/* gzip backups to <backup>.gz */
	mode_t perm;				/* new files and .gz backups (umask applies); 0 = 0600 */
	unsigned long long rotation_interval_ms; /* 0 = no time based rotation */
	char *err;				/* may be NULL: why rotating_file_open failed */
	size_t errlen;
};

/*
 * Creates missing parent directories (0755) and opens @o->path for appending;
 * an existing file that already reached the size limit is rotated first, and
 * leftover backups are compressed/pruned. Returns 0 or -errno (-EISDIR when
 * the path is a directory, -EINVAL for an empty path or one ending in '/'),
 * with the reason in @o->err.
 *
 * The path is resolved under the rules of src/util/safe_path.h: no
 * directory on the way owned or writable by another user (sticky ones like
 * /tmp aside), no symlink another user made; the file itself is not a
 * symlink, is ours (root's), has one link and no group/other write bit
 * beyond @perm's. New files (the live one after each rotation, backups'
 * .gz) get @perm and stay root's: nothing is chowned to the previous
 * file's owner. A character device (/dev/null, a tty) is written as is.
 */
int rotating_file_open(struct rotating_file **ret, const struct rotating_file_opts *o);

/*
 * Appends whole records (JSON lines, each with its '\n'). Rotates first when
 * they would push the file past the size limit. Returns 0 or -errno. On
 * error the lines that were written whole stay and the torn rest is cut
 * off; *@kept (may be NULL) receives how many bytes stayed (all of @len on
 * success), so the caller can count which records made it.
 *
 * Before writing, the file is checked to still be the one the path names
 * (fstat of the descriptor, fstatat of the name): deleted or moved away, the
 * path is opened again. If that fails a moved file still takes the records;
 * a deleted one is not written (-ENOENT or the reason it cannot be opened),
 * retried at most once a second.
 */
int rotating_file_write(struct rotating_file *f, const void *buf, size_t len, size_t *kept);

/* Nothing is buffered in user space (records go straight to write(2)) and
 * compression is synchronous, so this only reports whether the file is
 * usable: 0 or -EBADF. */
int rotating_file_flush(struct rotating_file *f);

/* Rotates now, even an empty file, as upstream's Rotate() does (SIGHUP,
 * rotation interval). Returns 0 or -errno; on failure writes continue to the
 * current file. */
int rotating_file_rotate(struct rotating_file *f);

/* Call once a second. Checks that the path still leads to the file and its
 * directory (else opens it again, see rotating_file_write), then drives time
 * based rotation: @now_ms is any monotonic millisecond clock; the first call
 * starts the interval, then one rotation happens whenever at least
 * rotation_interval_ms has passed since the previous one (missed intervals
 * are not made up); none when the interval is 0. */
void rotating_file_tick(struct rotating_file *f, uint64_t now_ms);

void rotating_file_close(struct rotating_file *f);

#endif
