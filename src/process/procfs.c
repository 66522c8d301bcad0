// SPDX-License-Identifier: Apache-2.0
#include "process/procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/msg_process.h"
#include "filters/redaction.h"
#include "process/args.h"
#include "util/ktime.h"

#define PF_KTHREAD 0x00200000

static const struct cgroup_host *cg_host;

void procfs_set_cgroup_host(const struct cgroup_host *h)
{
	cg_host = h;
}

/* Whole small file into buf (NUL-terminated); returns bytes or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - (size_t)total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

static char *read_link(const char *path)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static uint32_t ns_inum_of(const char *procdir, uint32_t pid, const char *name)
{
	char path[128], link[128];
	ssize_t n;
	char *lb;

	if (pid)
		snprintf(path, sizeof(path), "%s/%u/ns/%s", procdir, pid, name);
	else
		snprintf(path, sizeof(path), "%s/self/ns/%s", procdir, name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	lb = strchr(link, '[');
	return lb ? (uint32_t)strtoul(lb + 1, NULL, 10) : 0;
}

static void read_ns(const char *procdir, uint32_t pid, struct msg_ns *ns)
{
	ns->uts = ns_inum_of(procdir, pid, "uts");
	ns->ipc = ns_inum_of(procdir, pid, "ipc");
	ns->mnt = ns_inum_of(procdir, pid, "mnt");
	ns->pid = ns_inum_of(procdir, pid, "pid");
	ns->pid_for_children = ns_inum_of(procdir, pid, "pid_for_children");
	ns->net = ns_inum_of(procdir, pid, "net");
	ns->time = ns_inum_of(procdir, pid, "time");
	ns->time_for_children = ns_inum_of(procdir, pid, "time_for_children");
	ns->cgroup = ns_inum_of(procdir, pid, "cgroup");
	ns->user = ns_inum_of(procdir, pid, "user");
}

int procfs_host_ns(const char *procdir, struct msg_ns *ret)
{
	memset(ret, 0, sizeof(*ret));
	read_ns(procdir, 1, ret);
	if (ret->mnt)
		return 0;
	/* pid 1 may hide its namespaces (ptrace checks); the agent runs in the host's */
	read_ns(procdir, 0, ret);
	return ret->mnt ? 1 : -ENOENT;
}

static void parse_status(const char *s, struct process *p)
{
	const char *l;
	unsigned long long v;

	if ((l = strstr(s, "\nUid:")))
		sscanf(l + 5, "%u %u %u %u", &p->creds.uid, &p->creds.euid, &p->creds.suid,
		       &p->creds.fsuid);
	if ((l = strstr(s, "\nGid:")))
		sscanf(l + 5, "%u %u %u %u", &p->creds.gid, &p->creds.egid, &p->creds.sgid,
		       &p->creds.fsgid);
	if ((l = strstr(s, "\nCapInh:")) && sscanf(l + 8, "%llx", &v) == 1)
		p->creds.cap_inheritable = v;
	if ((l = strstr(s, "\nCapPrm:")) && sscanf(l + 8, "%llx", &v) == 1)
		p->creds.cap_permitted = v;
	if ((l = strstr(s, "\nCapEff:")) && sscanf(l + 8, "%llx", &v) == 1)
		p->creds.cap_effective = v;
	/* NSpid lists the pid in each nested namespace; the last is the innermost. */
	if ((l = strstr(s, "\nNSpid:"))) {
		const char *e = strchr(l + 1, '\n');
		const char *q = e ? e : l + strlen(l);

		while (q > l && isspace((unsigned char)q[-1]))
			q--;
		while (q > l && isdigit((unsigned char)q[-1]))
			q--;
		p->nspid = (uint32_t)strtoul(q, NULL, 10);
	}
}

int procfs_read_one(const char *procdir, uint32_t pid, struct procfs_proc *out)
{
	static long tck;
	char path[128], buf[8192], *cwd, *exe;
	unsigned long long starttime = 0;
	unsigned int flags = 0;
	ssize_t n;
	char *rp;
	int ppid = 0;

	if (!tck)
		tck = sysconf(_SC_CLK_TCK);
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%u/stat", procdir, pid);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n == -ESRCH ? -ENOENT : (int)n;
	/* comm may hold spaces and parentheses: fields resume after the last ')' */
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 2,
			  "%*c %d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			  "%*d %*d %llu",
			  &ppid, &flags, &starttime) != 3)
		return -EINVAL;
	if (flags & PF_KTHREAD)
		return -ESRCH;

	out->ppid = (uint32_t)ppid;
	out->p.pid = pid;
	out->p.tid = pid;
	out->p.ktime = starttime * (1000000000ULL / (unsigned long long)tck);
	out->p.start_time_ns = ktime_boot_to_wall(out->p.ktime);
	out->p.flags = EVENT_PROCFS;
	out->p.auid = (uint32_t)-1;

	snprintf(path, sizeof(path), "%s/%u/status", procdir, pid);
	if (read_file(path, buf, sizeof(buf)) > 0)
		parse_status(buf, &out->p);
	snprintf(path, sizeof(path), "%s/%u/loginuid", procdir, pid);
	if (read_file(path, buf, sizeof(buf)) > 0)
		out->p.auid = (uint32_t)strtoul(buf, NULL, 10);
	read_ns(procdir, pid, &out->p.ns);
	if (cg_host && cg_host->mode != TG_CGROUP_NONE) {
		char cpath[4096];

		snprintf(path, sizeof(path), "%s/%u/cgroup", procdir, pid);
		if (read_file(path, buf, sizeof(buf)) > 0 && cgroup_proc_path(cg_host, buf, cpath, sizeof(cpath)) >= 0) {
			out->cgroup_path = strdup(cpath);
			out->cgroup_id = cgroup_path_id(cg_host, cpath);
		}
	}

	snprintf(path, sizeof(path), "%s/%u/cwd", procdir, pid);
	cwd = read_link(path);
	if (!cwd)
		out->p.flags |= EVENT_ERROR_CWD;
	else if (!strcmp(cwd, "/"))
		out->p.flags |= EVENT_ROOT_CWD;
	snprintf(path, sizeof(path), "%s/%u/exe", procdir, pid);
	exe = read_link(path);
	if (exe) {
		size_t l = strlen(exe);

		if (l > 10 && !strcmp(exe + l - 10, " (deleted)"))
			exe[l - 10] = '\0';
	}

	snprintf(path, sizeof(path), "%s/%u/cmdline", procdir, pid);
	n = read_file(path, buf, sizeof(buf));
	if (n > 0) {
		size_t a0 = strnlen(buf, (size_t)n);

		if ((size_t)n == sizeof(buf) - 1)
			out->p.flags |= EVENT_TRUNC_ARGS;
		/* argv[0] is not part of the arguments */
		out->p.arguments = a0 < (size_t)n ? args_decode(buf + a0 + 1, (size_t)n - a0 - 1)
						  : strdup("");
		if (!exe)
			exe = strndup(buf, a0);
	} else {
		out->p.arguments = strdup("");
	}
	out->p.binary = exe ? exe : strdup("");
	out->p.cwd = cwd ? cwd : strdup("");
	/* --redaction-filters, as for an exec */
	if (out->p.binary && out->p.arguments)
		redaction_args(out->p.binary, &out->p.arguments);
	if (!out->p.binary || !out->p.cwd || !out->p.arguments) {
		procfs_free(NULL, 0);
		free(out->p.binary);
		free(out->p.cwd);
		free(out->p.arguments);
		free(out->cgroup_path);
		return -ENOMEM;
	}
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const struct procfs_proc *x = a, *y = b;

	if (x->p.ktime != y->p.ktime)
		return x->p.ktime < y->p.ktime ? -1 : 1;
	return x->p.pid < y->p.pid ? -1 : x->p.pid > y->p.pid;
}

int procfs_scan(const char *procdir, struct procfs_proc **ret, size_t *ret_n)
{
	struct procfs_proc *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(procdir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct procfs_proc *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				closedir(d);
				procfs_free(v, n);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		if (procfs_read_one(procdir, (uint32_t)pid, &v[n]) == 0)
			n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), by_start);
	*ret = v;
	*ret_n = n;
	return 0;
}

void procfs_free(struct procfs_proc *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].p.binary);
		free(v[i].p.arguments);
		free(v[i].p.cwd);
		free(v[i].cgroup_path);
	}
	free(v);
}
