/* SPDX-License-Identifier: Apache-2.0 */
/* Startup scan of /proc: the processes that predate the agent. */
#ifndef TG_PROCESS_PROCFS_H
#define TG_PROCESS_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#include "process/cache.h"
#include "process/cgroup.h"

struct procfs_proc {
	struct process p;	/* identity, strings owned until handed to the cache */
	uint32_t ppid;
	char *cgroup_path;	/* in the host's hierarchy (NULL: unknown) */
	uint64_t cgroup_id;
};

/* Which hierarchy's cgroup to read (NULL or TG_CGROUP_NONE: none). */
void procfs_set_cgroup_host(const struct cgroup_host *h);

/*
 * Read every user-space process under @procdir ("/proc"), parents before
 * children (by start time). Kernel threads are skipped. Returns 0 and an
 * array the caller frees with procfs_free(), or -errno.
 */
int procfs_scan(const char *procdir, struct procfs_proc **ret, size_t *ret_n);
void procfs_free(struct procfs_proc *v, size_t n);

/* Read one process; 0, -ENOENT when gone, -ESRCH for a kernel thread. */
int procfs_read_one(const char *procdir, uint32_t pid, struct procfs_proc *out);

/* Host namespace inode numbers: pid 1's; 1 when they had to be taken from
 * the agent itself because pid 1's are unreadable; -ENOENT when neither is. */
int procfs_host_ns(const char *procdir, struct msg_ns *ret);

#endif
