// SPDX-License-Identifier: Apache-2.0
#include "process/cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abi/msg_process.h"

const char *container_runtime_name(enum container_runtime rt)
{
	switch (rt) {
	case CONTAINER_RT_DOCKER:
		return "docker";
	case CONTAINER_RT_CONTAINERD:
		return "containerd";
	case CONTAINER_RT_CRIO:
		return "cri-o";
	case CONTAINER_RT_PODMAN:
		return "podman";
	default:
		return "unknown";
	}
}

static bool is_hex_id(const char *s, size_t n)
{
	if (n != CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
	size_t l = strlen(p);

	return n >= l && !memcmp(s, p, l);
}

static bool has_suffix(const char *s, size_t n, const char *p)
{
	size_t l = strlen(p);

	return n >= l && !memcmp(s + n - l, p, l);
}

/* Scope/name prefixes of the runtimes, and their monitors (not in the container). */
static const struct {
	const char *prefix;
	enum container_runtime rt;
} prefixes[] = {
	{ "docker-", CONTAINER_RT_DOCKER },
	{ "cri-containerd-", CONTAINER_RT_CONTAINERD },
	{ "crio-", CONTAINER_RT_CRIO },
	{ "libpod-", CONTAINER_RT_PODMAN },
};

static const char *const monitors[] = { "crio-conmon-", "libpod-conmon-", "docker-conmon-" };

/* runc's "slice:prefix:name" form names the prefix without its dash */
static enum container_runtime runtime_of_word(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t l = strlen(prefixes[i].prefix) - 1;

		if (n == l && !memcmp(s, prefixes[i].prefix, l))
			return prefixes[i].rt;
	}
	return CONTAINER_RT_UNKNOWN;
}

/*
 * The container id one path component names: 1 with a runtime-specific
 * prefix (*rt set), 2 for a bare id (runtime from the colon form if any),
 * 0 for none.
 */
static int component_id(const char *c, size_t n, char id[CONTAINER_ID_LEN + 1], enum container_runtime *rt)
{
	const char *colon;

	*rt = CONTAINER_RT_UNKNOWN;
	if (has_suffix(c, n, ".scope"))
		n -= 6;
	colon = memrchr(c, ':', n);
	if (colon) {
		const char *name = colon + 1, *prev = memrchr(c, ':', (size_t)(colon - c));
		const char *word = prev ? prev + 1 : c;
		size_t nl = n - (size_t)(name - c);

		if (!is_hex_id(name, nl))
			return 0;
		*rt = runtime_of_word(word, (size_t)(colon - word));
		memcpy(id, name, CONTAINER_ID_LEN);
		id[CONTAINER_ID_LEN] = '\0';
		return *rt == CONTAINER_RT_UNKNOWN ? 2 : 1;
	}
	for (size_t i = 0; i < sizeof(monitors) / sizeof(monitors[0]); i++)
		if (has_prefix(c, n, monitors[i]))
			return 0;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t l = strlen(prefixes[i].prefix);

		if (has_prefix(c, n, prefixes[i].prefix) && is_hex_id(c + l, n - l)) {
			*rt = prefixes[i].rt;
			memcpy(id, c + l, CONTAINER_ID_LEN);
			id[CONTAINER_ID_LEN] = '\0';
			return 1;
		}
	}
	if (is_hex_id(c, n)) {
		memcpy(id, c, CONTAINER_ID_LEN);
		id[CONTAINER_ID_LEN] = '\0';
		return 2;
	}
	return 0;
}

/* kubelet's pod cgroup: pod<uid> (cgroupfs) or kubepods[-<qos>]-pod<uid>.slice (systemd, '-' as '_') */
static bool pod_uid_of(const char *c, size_t n, char *out, size_t size)
{
	const char *u;
	size_t l;

	if (has_prefix(c, n, "pod")) {
		u = c + 3;
		l = n - 3;
	} else if (has_prefix(c, n, "kubepods") && has_suffix(c, n, ".slice")) {
		const char *p = NULL;

		/* the last "-pod" of the slice name */
		for (const char *q = c; q + 4 <= c + n - 6; q++)
			if (!memcmp(q, "-pod", 4))
				p = q;
		if (!p)
			return false;
		u = p + 4;
		l = (size_t)(c + n - 6 - u);
	} else {
		return false;
	}
	if (l == 0 || l >= size)
		return false;
	for (size_t i = 0; i < l; i++)
		if (!isxdigit((unsigned char)u[i]) && u[i] != '-' && u[i] != '_')
			return false;
	for (size_t i = 0; i < l; i++)
		out[i] = u[i] == '_' ? '-' : u[i];
	out[l] = '\0';
	return true;
}

#define MAX_COMPONENTS 64

bool cgroup_parse_container(const char *path, struct cgroup_container *out)
{
	const char *start[MAX_COMPONENTS];
	size_t len[MAX_COMPONENTS], n = 0;
	const char *p = path;
	bool found = false;
	size_t at = 0;
	int kind = 0;

	memset(out, 0, sizeof(*out));
	if (!path)
		return false;
	/* components, the last MAX_COMPONENTS of a deeper path */
	while (*p) {
		const char *e;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		if (n == MAX_COMPONENTS) {
			memmove(start, start + 1, sizeof(start[0]) * (MAX_COMPONENTS - 1));
			memmove(len, len + 1, sizeof(len[0]) * (MAX_COMPONENTS - 1));
			n--;
		}
		start[n] = p;
		len[n] = (size_t)(e - p);
		n++;
		p = e;
	}
	for (size_t i = n; i-- > 0;) {
		/* Sysbox's nested containers: the outermost container is the one */
		if (len[i] >= 19 && memmem(start[i], len[i], "syscont-cgroup-root", 19))
			continue;
		kind = component_id(start[i], len[i], out->id, &out->runtime);
		if (kind) {
			found = true;
			at = i;
			break;
		}
	}
	if (!found)
		return false;
	for (size_t i = 0; i <= at; i++) {
		size_t l = len[i];

		/* the id's own component counts only for its "slice:" part */
		if (i == at) {
			const char *colon = memchr(start[i], ':', len[i]);

			if (!colon)
				break;
			l = (size_t)(colon - start[i]);
		}
		if (has_prefix(start[i], l, "kubepods"))
			out->kubepods = true;
		if (out->kubepods && !out->pod_uid[0])
			pod_uid_of(start[i], l, out->pod_uid, sizeof(out->pod_uid));
	}
	if (kind == 2 && out->runtime == CONTAINER_RT_UNKNOWN && at > 0) {
		const char *parent = start[at - 1];
		size_t pl = len[at - 1];

		if (pl == 6 && !memcmp(parent, "docker", 6))
			out->runtime = CONTAINER_RT_DOCKER;
		else if (pl == 13 && !memcmp(parent, "libpod_parent", 13))
			out->runtime = CONTAINER_RT_PODMAN;
		else if (!out->kubepods && at == 1 && pl < sizeof(out->ns)) {
			/*
			 * /<namespace>/<id>: plain containerd's layout, but a
			 * custom parent of another runtime's looks the same
			 */
			memcpy(out->ns, parent, pl);
			out->ns[pl] = '\0';
		}
	}
	if (out->kubepods || (out->runtime == CONTAINER_RT_CONTAINERD && !out->ns[0]))
		snprintf(out->ns, sizeof(out->ns), "k8s.io");
	return true;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

static bool has_opt(const char *opts, const char *want)
{
	size_t l = strlen(want);

	for (const char *p = opts; p && *p;) {
		const char *e = strchrnul(p, ',');

		if ((size_t)(e - p) == l && !memcmp(p, want, l))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

/* The index of controller @name in /proc/cgroups (its ssid), -1 if absent. */
static int subsys_index(const char *procdir, const char *name)
{
	char path[512], line[256];
	FILE *f;
	int idx = 0, found = -1;

	snprintf(path, sizeof(path), "%s/cgroups", procdir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char sname[64];

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%63s", sname) == 1 && !strcmp(sname, name)) {
			found = idx;
			break;
		}
		idx++;
	}
	fclose(f);
	return found;
}

int cgroup_host_detect(const char *procdir, struct cgroup_host *out)
{
	static const char *const v1_prefer[] = { "memory", "cpuset", "pids" };
	char path[512], *line = NULL;
	char v1_mount[3][512] = { { 0 } };
	size_t cap = 0;
	FILE *f;

	memset(out, 0, sizeof(*out));
	out->mode = TG_CGROUP_NONE;
	snprintf(path, sizeof(path), "%s/self/mountinfo", procdir ? procdir : "/proc");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *fields[10], *sep, *save = NULL, *tok, *fstype, *superopts;
		int nf = 0;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok && nf < 10; tok = strtok_r(NULL, " ", &save))
			fields[nf++] = tok;
		if (nf < 5)
			continue;
		fstype = strtok_r(sep + 3, " \n", &save);
		(void)strtok_r(NULL, " \n", &save);	/* source */
		superopts = strtok_r(NULL, " \n", &save);
		if (!fstype)
			continue;
		if (!strcmp(fstype, "cgroup2") && out->mode != TG_CGROUP_V2) {
			out->mode = TG_CGROUP_V2;
			snprintf(out->mount, sizeof(out->mount), "%s", fields[4]);
			unescape(out->mount);
		} else if (!strcmp(fstype, "cgroup") && superopts) {
			for (int i = 0; i < 3; i++) {
				if (!v1_mount[i][0] && has_opt(superopts, v1_prefer[i])) {
					snprintf(v1_mount[i], sizeof(v1_mount[i]), "%s", fields[4]);
					unescape(v1_mount[i]);
				}
			}
		}
	}
	free(line);
	fclose(f);
	if (out->mode == TG_CGROUP_V2)
		return 0;
	for (int i = 0; i < 3; i++) {
		int idx;

		if (!v1_mount[i][0])
			continue;
		idx = subsys_index(procdir ? procdir : "/proc", v1_prefer[i]);
		if (idx < 0 || idx >= 64)
			continue;
		out->mode = TG_CGROUP_V1;
		out->subsys_idx = (uint32_t)idx;
		snprintf(out->controller, sizeof(out->controller), "%s", v1_prefer[i]);
		memcpy(out->mount, v1_mount[i], sizeof(out->mount));
		return 0;
	}
	return -ENOENT;
}

void cgroup_host_describe(const struct cgroup_host *h, char *buf, size_t size)
{
	if (h->mode == TG_CGROUP_V2)
		snprintf(buf, size, "cgroup2 at %s", h->mount);
	else if (h->mode == TG_CGROUP_V1)
		snprintf(buf, size, "cgroup v1 %s hierarchy at %s", h->controller, h->mount);
	else
		snprintf(buf, size, "no cgroup hierarchy");
}

int cgroup_proc_path(const struct cgroup_host *h, const char *text, char *buf, size_t size)
{
	const char *p = text;

	if (!size)
		return -EINVAL;
	buf[0] = '\0';
	while (p && *p) {
		const char *eol = strchrnul(p, '\n'), *c1 = memchr(p, ':', (size_t)(eol - p)), *c2;
		bool match = false;

		if (!c1)
			goto next;
		c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1));
		if (!c2)
			goto next;
		if (h->mode == TG_CGROUP_V2) {
			match = c1 - p == 1 && p[0] == '0' && c2 == c1 + 1;
		} else if (h->mode == TG_CGROUP_V1) {
			char ctl[256];
			size_t l = (size_t)(c2 - c1 - 1);

			if (l < sizeof(ctl)) {
				memcpy(ctl, c1 + 1, l);
				ctl[l] = '\0';
				match = has_opt(ctl, h->controller);
			}
		}
		if (match) {
			size_t l = (size_t)(eol - c2 - 1);

			if (l >= size)
				l = size - 1;
			memcpy(buf, c2 + 1, l);
			buf[l] = '\0';
			return (int)l;
		}
next:
		p = *eol ? eol + 1 : eol;
	}
	return -ENOENT;
}

uint64_t cgroup_path_id(const struct cgroup_host *h, const char *path)
{
	char full[4096];
	struct stat st;

	if (h->mode == TG_CGROUP_NONE || !path || path[0] != '/')
		return 0;
	if (snprintf(full, sizeof(full), "%s%s", h->mount, path) >= (int)sizeof(full))
		return 0;
	if (stat(full, &st))
		return 0;
	return (uint64_t)st.st_ino;
}
