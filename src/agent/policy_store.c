// SPDX-License-Identifier: Apache-2.0
#include "agent/policy_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "sensors/generic_policy.h"
#include "util/escape.h"
#include "util/log.h"
#include "util/safe_path.h"

struct rec {
	char *name, *ns, *domain, *yaml;
	bool enabled;
};

struct policy_store {
	char *dir;
	int dirfd;		/* O_PATH, checked by safe_dir_open */
	struct rec *v;
	size_t n;
};

static const char SUFFIX[] = ".json";

static void rec_free(struct rec *r)
{
	free(r->name);
	free(r->ns);
	free(r->domain);
	free(r->yaml);
}

static struct rec *find(struct policy_store *s, const char *name, const char *ns, const char *domain)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].name, name) && !strcmp(s->v[i].ns, ns ? ns : "") &&
		    !strcmp(s->v[i].domain, domain))
			return &s->v[i];
	return NULL;
}

/* A part of a record's file name: no '/', and no ':' in the first two (upstream splits on the first two). */
static int check_part(const char *what, const char *v, bool colon_ok, char *why, size_t whylen)
{
	if (strchr(v, '/') || (!colon_ok && strchr(v, ':')) || !esc_is_clean(v, strlen(v))) {
		snprintf(why, whylen, "the policy %s \"%s\" cannot name a policy store file (no '/'%s or control "
			 "characters)", what, v, colon_ok ? "" : ", ':'");
		return -EINVAL;
	}
	return 0;
}

int policy_store_filename(const char *name, const char *ns, const char *domain, char *buf, size_t len, char *why,
			  size_t whylen)
{
	if (!name || !*name) {
		snprintf(why, whylen, "a policy without a name cannot be stored");
		return -EINVAL;
	}
	if (check_part("name", name, false, why, whylen) || check_part("namespace", ns ? ns : "", false, why, whylen) ||
	    check_part("domain", domain, true, why, whylen))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s:%s:%s%s", name, ns ? ns : "", domain, SUFFIX) >= len ||
	    strlen(buf) > NAME_MAX) {
		snprintf(why, whylen, "the policy store file name of %s is longer than %d bytes", name, NAME_MAX);
		return -ENAMETOOLONG;
	}
	return 0;
}

int policy_store_open(struct policy_store **ret, const char *dir, char *why, size_t whylen)
{
	struct policy_store *s;
	bool created = !mkdir(dir, 0700);
	int fd;

	/* the parents, when missing, by the safe walk (0755); the store itself is root's alone */
	fd = safe_dir_open(dir, SAFE_MKDIR, why, whylen);
	if (fd < 0)
		return fd;
	if (!created) {
		struct stat st;

		if (!fstat(fd, &st) && (st.st_mode & 077))
			log_warn("policy store %s: mode %04o: policies are readable by others (want 0700)", dir,
				 st.st_mode & 07777);
	} else if (chmod(dir, 0700)) {
		log_warn("policy store %s: chmod 0700: %s", dir, strerror(errno));
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		close(fd);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	s->dirfd = fd;
	*ret = s;
	return 0;
}

void policy_store_close(struct policy_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		rec_free(&s->v[i]);
	free(s->v);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

static int encode(const char *yaml, bool enabled, char **out)
{
	json_t *o = json_pack("{s:s, s:b}", "yaml", yaml, "enabled", enabled);

	if (!o)
		return -EINVAL;
	*out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return *out ? 0 : -ENOMEM;
}

static int write_rec(struct policy_store *s, const char *file, const char *yaml, bool enabled, char *why,
		     size_t whylen)
{
	char *data = NULL;
	int err = encode(yaml, enabled, &data);

	if (err) {
		snprintf(why, whylen, "policy store %s/%s: cannot encode the record (the YAML is not valid UTF-8?)",
			 s->dir, file);
		return err;
	}
	err = safe_write_fileat(s->dirfd, s->dir, file, data, strlen(data), 0600, NULL, why, whylen);
	free(data);
	return err < 0 ? err : 0;
}

int policy_store_put(struct policy_store *s, const char *name, const char *ns, const char *domain, const char *yaml,
		     bool enabled, char *why, size_t whylen)
{
	char file[NAME_MAX + 64];
	struct rec *r = find(s, name, ns, domain), n = { 0 };
	int err = policy_store_filename(name, ns, domain, file, sizeof(file), why, whylen);

	if (err)
		return err;
	n.yaml = strdup(yaml);
	if (!r) {
		struct rec *v = realloc(s->v, (s->n + 1) * sizeof(*v));

		if (v)
			s->v = v;
		n.name = strdup(name);
		n.ns = strdup(ns ? ns : "");
		n.domain = strdup(domain);
		if (!v || !n.name || !n.ns || !n.domain || !n.yaml) {
			rec_free(&n);
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
	} else if (!n.yaml) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	err = write_rec(s, file, yaml, enabled, why, whylen);
	if (err) {
		rec_free(&n);
		return err;
	}
	if (r) {
		free(r->yaml);
		r->yaml = n.yaml;
		r->enabled = enabled;
	} else {
		n.enabled = enabled;
		s->v[s->n++] = n;
	}
	return 0;
}

int policy_store_get(struct policy_store *s, const char *name, const char *ns, const char *domain,
		     const char **yaml, bool *enabled)
{
	struct rec *r = s ? find(s, name, ns, domain) : NULL;

	if (!r)
		return -ENOENT;
	*yaml = r->yaml;
	*enabled = r->enabled;
	return 0;
}

int policy_store_delete(struct policy_store *s, const char *name, const char *ns, const char *domain, char *why,
			size_t whylen)
{
	struct rec *r = s ? find(s, name, ns, domain) : NULL;
	char file[NAME_MAX + 64];

	if (!r)
		return -ENOENT;
	if (policy_store_filename(name, ns, domain, file, sizeof(file), why, whylen))
		return -EINVAL;
	if (unlinkat(s->dirfd, file, 0) && errno != ENOENT) {
		int err = -errno;

		snprintf(why, whylen, "policy store: removing %s/%s: %s", s->dir, file, strerror(-err));
		return err;
	}
	rec_free(r);
	*r = s->v[--s->n];
	return 0;
}

/* ---- restore ------------------------------------------------------------------ */

static size_t engine_count(struct policy_engine *e)
{
	struct policy_status st;
	size_t n = 0;

	while (!policy_engine_status(e, n, &st))
		n++;
	return n;
}

/* The record file's contents (NUL-terminated), through the safe checks. */
static int read_rec(struct policy_store *s, const char *file, char **out, size_t *outlen, char *why, size_t whylen)
{
	struct safe_open_opts so = { .oflags = O_RDONLY };
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd = safe_openat(s->dirfd, s->dir, file, &so, why, whylen);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || st.st_size > (off_t)POLICY_STORE_MAX_RECORD) {
		snprintf(why, whylen, "%s/%s: larger than %u bytes", s->dir, file, POLICY_STORE_MAX_RECORD);
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "%s/%s: read: %s", s->dir, file, n < 0 ? strerror(errno) : "truncated");
			free(buf);
			close(fd);
			return -EIO;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*outlen = got;
	return 0;
}

/* One record: 0 restored, else logged. */
static int restore_one(struct policy_store *s, struct policy_engine *e, const char *file)
{
	char why[2048], path[PATH_MAX], *data = NULL, *base = NULL, *name, *ns, *domain, *c;
	const char *yaml;
	json_error_t jerr;
	json_t *o = NULL, *y, *en;
	size_t len, before, after;
	struct rec r = { 0 };
	int err;

	snprintf(path, sizeof(path), "%s/%s", s->dir, file);
	base = strndup(file, strlen(file) - strlen(SUFFIX));
	if (!base)
		return -ENOMEM;
	/* <name>:<namespace>:<domain>, the domain takes the rest */
	name = base;
	c = strchr(name, ':');
	ns = c ? c + 1 : NULL;
	c = ns ? strchr(ns, ':') : NULL;
	domain = c ? c + 1 : NULL;
	if (!ns || !domain || !*name || !*domain) {
		log_error("policy store %s: not a record's name (want <name>:<namespace>:<domain>.json): skipped",
			  path);
		err = -EINVAL;
		goto out;
	}
	ns[-1] = '\0';
	domain[-1] = '\0';
	err = read_rec(s, file, &data, &len, why, sizeof(why));
	if (err) {
		log_error("policy store %s: %s: skipped", path, why);
		goto out;
	}
	o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	y = o ? json_object_get(o, "yaml") : NULL;
	en = o ? json_object_get(o, "enabled") : NULL;
	if (!o) {
		log_error("policy store %s:%d:%d: not JSON: %s: skipped", path, jerr.line, jerr.column, jerr.text);
		err = -EINVAL;
		goto out;
	}
	if (!json_is_object(o) || !json_is_string(y) || (en && !json_is_boolean(en))) {
		log_error("policy store %s: want {\"yaml\": string, \"enabled\": boolean}: skipped", path);
		err = -EINVAL;
		goto out;
	}
	yaml = json_string_value(y);
	/* the file's name is the policy's key: checked before anything is attached */
	{
		struct tp_diags d = TP_DIAGS_INIT;
		struct tp_policy_set *set = NULL;
		int perr = tp_parse(path, yaml, json_string_length(y), &set, &d);
		const struct tp_policy *p = !perr && set && set->n == 1 ? set->policies[0] : NULL;
		bool same = p && !strcmp(p->name, name) && !strcmp(p->namespace ? p->namespace : "", ns);

		if (!perr && !same) {
			if (!p)
				log_error("policy store %s: the YAML holds %zu policies, want the one its file name "
					  "says (%s%s%s): skipped", path, set ? set->n : 0, ns, *ns ? "/" : "", name);
			else
				log_error("policy store %s: the YAML holds the policy %s%s%s, its file name says "
					  "%s%s%s: skipped", path, p->namespace ? p->namespace : "",
					  p->namespace ? "/" : "", p->name, ns, *ns ? "/" : "", name);
		}
		tp_diags_free(&d);
		tp_policy_set_free(set);
		/* a YAML that does not parse is reported by the engine below, line and column */
		if (!perr && !same) {
			err = -EINVAL;
			goto out;
		}
	}
	before = engine_count(e);
	err = policy_engine_add_yaml_state(e, yaml, json_string_length(y), domain, en && !json_is_true(en), why,
					   sizeof(why));
	after = engine_count(e);
	if (err && err != -EOPNOTSUPP) {
		log_error("policy store %s: %s: skipped", path, why);
		goto out;
	}
	/* the file's name is the policy's key: a record holding another policy is refused */
	{
		struct policy_status st;
		bool ok = after == before + 1 && !policy_engine_status(e, before, &st) && !strcmp(st.name, name) &&
			  !strcmp(st.ns ? st.ns : "", ns);

		if (!ok) {
			if (after != before + 1)
				log_error("policy store %s: the YAML holds %zu policies, want the one its file name "
					  "says (%s%s%s): skipped", path, after - before, ns, *ns ? "/" : "", name);
			else
				log_error("policy store %s: the YAML holds the policy %s%s%s, its file name says %s%s%s: "
					  "skipped", path, st.ns ? st.ns : "", st.ns && *st.ns ? "/" : "", st.name, ns,
					  *ns ? "/" : "", name);
			for (size_t i = after; i > before; i--)
				if (!policy_engine_status(e, i - 1, &st)) {
					char w[256];
					char *nm = strdup(st.name), *nsp = strdup(st.ns ? st.ns : "");

					if (nm && nsp)
						policy_engine_delete(e, nm, nsp, domain, w, sizeof(w));
					free(nm);
					free(nsp);
				}
			err = -EINVAL;
			goto out;
		}
	}
	if (err == -EOPNOTSUPP)
		log_error("policy store %s: restored in the load error state: %s", path, why);
	r.name = strdup(name);
	r.ns = strdup(ns);
	r.domain = strdup(domain);
	r.yaml = strdup(yaml);
	r.enabled = !en || json_is_true(en);
	{
		struct rec *v = r.name && r.ns && r.domain && r.yaml ? realloc(s->v, (s->n + 1) * sizeof(*v)) : NULL;

		if (!v) {
			rec_free(&r);
			err = -ENOMEM;
			goto out;
		}
		s->v = v;
		s->v[s->n++] = r;
	}
	if (!err)
		log_info("policy store: restored tracing policy %s%s%s (%s) from %s", ns, *ns ? "/" : "", name,
			 r.enabled ? "enabled" : "disabled", path);
	err = 0;
out:
	json_decref(o);
	free(data);
	free(base);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t policy_store_restore(struct policy_store *s, struct policy_engine *e)
{
	char **names = NULL;
	size_t n = 0, cap = 0, ok = 0;
	struct dirent *de;
	DIR *d;
	int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		log_error("policy store %s: cannot list it: %s: no gRPC policy restored", s->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.') {
			/* "." and "..", and safe_write_file's temporary files of an interrupted write */
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				log_warn("policy store %s/%s: a leftover temporary file: ignored", s->dir, de->d_name);
			continue;
		}
		if (l <= strlen(SUFFIX) || strcmp(de->d_name + l - strlen(SUFFIX), SUFFIX)) {
			log_warn("policy store %s/%s: not a record (*.json): ignored", s->dir, de->d_name);
			continue;
		}
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!v)
				break;
			names = v;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!restore_one(s, e, names[i]))
			ok++;
		free(names[i]);
	}
	free(names);
	if (n)
		log_info("policy store %s: %zu of %zu gRPC tracing policies restored", s->dir, ok, n);
	return ok;
}
