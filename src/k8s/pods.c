// SPDX-License-Identifier: Apache-2.0
#include "k8s/pods.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "util/strbuf.h"

/* ---- parsing ------------------------------------------------------------------ */

struct pctx {
	char *why;
	size_t whylen;
};

static int bad(struct pctx *c, const char *path, const char *what)
{
	snprintf(c->why, c->whylen, "%s: %s", path, what);
	return -EINVAL;
}

/* A string member: absent or null is NULL; another type refuses the object. */
static int get_str(struct pctx *c, json_t *o, const char *key, const char *path, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		char p[256];

		snprintf(p, sizeof(p), "%s.%s", path, key);
		return bad(c, p, "want a string");
	}
	*out = json_string_value(v);
	return 0;
}

static int get_obj(struct pctx *c, json_t *o, const char *key, const char *path, json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		char p[256];

		snprintf(p, sizeof(p), "%s.%s", path, key);
		return bad(c, p, "want an object");
	}
	*out = v;
	return 0;
}

static int get_arr(struct pctx *c, json_t *o, const char *key, const char *path, json_t **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		char p[256];

		snprintf(p, sizeof(p), "%s.%s", path, key);
		return bad(c, p, "want an array");
	}
	*out = v;
	return 0;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int cmp_entry(const void *a, const void *b)
{
	const Tetragon__Pod__PodLabelsEntry *x = *(Tetragon__Pod__PodLabelsEntry *const *)a;
	const Tetragon__Pod__PodLabelsEntry *y = *(Tetragon__Pod__PodLabelsEntry *const *)b;

	return strcmp(x->key, y->key);
}

/*
 * A map of strings into proto map entries sorted by key (Go's protojson
 * writes maps sorted). Labels and annotations entries have one layout.
 */
static int get_map(struct pctx *c, json_t *o, const char *key, const char *path,
		   Tetragon__Pod__PodLabelsEntry ***pv, Tetragon__Pod__PodLabelsEntry **vv, size_t *n,
		   const ProtobufCMessageDescriptor *desc)
{
	json_t *m, *v;
	const char *k;
	size_t i = 0;
	int err = get_obj(c, o, key, path, &m);

	*pv = NULL;
	*vv = NULL;
	*n = 0;
	if (err || !m || !json_object_size(m))
		return err;
	if (json_object_size(m) > K8S_POD_MAP_MAX)
		return bad(c, key, "too many entries");
	*vv = calloc(json_object_size(m), sizeof(**vv));
	*pv = calloc(json_object_size(m), sizeof(**pv));
	if (!*vv || !*pv)
		return -ENOMEM;
	json_object_foreach(m, k, v) {
		Tetragon__Pod__PodLabelsEntry *e = &(*vv)[i];

		if (!json_is_string(v)) {
			char p[512];

			snprintf(p, sizeof(p), "%s.%s[%.200s]", path, key, k);
			return bad(c, p, "want a string");
		}
		protobuf_c_message_init(desc, e);
		e->key = strdup(k);
		e->value = strdup(json_string_value(v));
		(*pv)[i++] = e;
		*n = i;
		if (!e->key || !e->value)
			return -ENOMEM;
	}
	qsort(*pv, *n, sizeof(**pv), cmp_entry);
	return 0;
}

static void free_entries(Tetragon__Pod__PodLabelsEntry **pv, Tetragon__Pod__PodLabelsEntry *vv, size_t n)
{
	for (size_t i = 0; vv && i < n; i++) {
		free(vv[i].key);
		free(vv[i].value);
	}
	free(vv);
	free(pv);
}

static void free_argv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void free_container(struct k8s_container *k)
{
	free(k->name);
	free(k->id);
	free(k->image);
	free(k->image_id);
	free_argv(k->liveness);
	free_argv(k->readiness);
}

void k8s_pod_put(struct k8s_pod *p)
{
	if (!p || --p->refs > 0)
		return;
	free(p->ns);
	free(p->name);
	free(p->uid);
	free(p->workload);
	free(p->workload_kind);
	free(p->rv);
	free_entries(p->labels, p->label_v, p->nlabels);
	free_entries((Tetragon__Pod__PodLabelsEntry **)p->annotations, (Tetragon__Pod__PodLabelsEntry *)p->annot_v,
		     p->nannotations);
	for (size_t i = 0; i < p->nc; i++)
		free_container(&p->c[i]);
	free(p->c);
	free(p);
}

/* RFC 3339 as metav1.Time writes it ("2024-05-01T10:00:00Z", fractions allowed). */
static int parse_time(const char *s, int64_t *sec, int32_t *nsec)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	int32_t ns = 0, mul = 100000000;
	time_t t;

	if (!p)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			ns += (*p - '0') * mul;
			mul /= 10;
		}
	}
	t = timegm(&tm);
	if (*p == 'Z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		   p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		int off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 + ((p[4] - '0') * 10 + (p[5] - '0')) * 60;

		t += *p == '+' ? -off : off;
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*sec = t;
	*nsec = ns;
	return 0;
}

/* spec containers' probe.exec.command, as a NULL-terminated copy. */
static int get_probe(struct pctx *c, json_t *spec, const char *probe, const char *path, char ***out)
{
	json_t *pr, *ex, *cmd;
	char p[256];
	size_t n;

	*out = NULL;
	snprintf(p, sizeof(p), "%s.%s", path, probe);
	if (get_obj(c, spec, probe, path, &pr) || !pr)
		return pr ? 0 : (c->why[0] ? -EINVAL : 0);
	if (get_obj(c, pr, "exec", p, &ex) || !ex)
		return c->why[0] ? -EINVAL : 0;
	strncat(p, ".exec", sizeof(p) - strlen(p) - 1);
	if (get_arr(c, ex, "command", p, &cmd) || !cmd)
		return c->why[0] ? -EINVAL : 0;
	n = json_array_size(cmd);
	if (n > 1024)
		return bad(c, p, "command: too many words");
	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *w = json_array_get(cmd, i);

		if (!json_is_string(w))
			return bad(c, p, "command: want strings");
		if (!((*out)[i] = strdup(json_string_value(w))))
			return -ENOMEM;
	}
	return 0;
}

/* The spec entry (containers, initContainers, ephemeralContainers) of that name. */
static json_t *spec_container(json_t *spec, const char *name)
{
	static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers" };

	for (size_t l = 0; l < 3; l++) {
		json_t *a = json_object_get(spec, lists[l]);

		for (size_t i = 0; json_is_array(a) && i < json_array_size(a); i++) {
			json_t *e = json_array_get(a, i);
			const char *n = json_string_value(json_object_get(e, "name"));

			if (json_is_object(e) && n && !strcmp(n, name))
				return e;
		}
	}
	return NULL;
}

static int read_container(struct pctx *c, json_t *spec, json_t *cs, const char *path, struct k8s_container *k)
{
	const char *name, *id, *image, *image_id, *started;
	json_t *state, *running, *sp, *sc, *priv;
	char p[256];

	if (!json_is_object(cs))
		return bad(c, path, "want an object");
	if (get_str(c, cs, "name", path, &name) || get_str(c, cs, "containerID", path, &id) ||
	    get_str(c, cs, "image", path, &image) || get_str(c, cs, "imageID", path, &image_id) ||
	    get_obj(c, cs, "state", path, &state))
		return -EINVAL;
	if (!name || !*name)
		return bad(c, path, "no name");
	k->name = strdup(name);
	k->id = dup_or_empty(id);
	k->image = dup_or_empty(image);
	k->image_id = dup_or_empty(image_id);
	if (!k->name || !k->id || !k->image || !k->image_id)
		return -ENOMEM;
	/* "<runtime>://<id>", as upstream splits it; anything else has no key */
	{
		const char *s = strstr(k->id, "//");

		k->key = s && !strstr(s + 2, "//") && s[2] ? s + 2 : NULL;
	}
	snprintf(p, sizeof(p), "%s.state", path);
	if (get_obj(c, state, "running", p, &running))
		return -EINVAL;
	if (running) {
		strncat(p, ".running", sizeof(p) - strlen(p) - 1);
		if (get_str(c, running, "startedAt", p, &started))
			return -EINVAL;
		if (started) {
			if (parse_time(started, &k->start_sec, &k->start_nsec))
				return bad(c, p, "startedAt: not an RFC 3339 time");
			k->running = true;
		}
	}
	sp = spec_container(spec, name);
	if (sp) {
		snprintf(p, sizeof(p), "spec container %.100s", name);
		if (get_obj(c, sp, "securityContext", p, &sc))
			return -EINVAL;
		priv = sc ? json_object_get(sc, "privileged") : NULL;
		if (priv && !json_is_null(priv)) {
			if (!json_is_boolean(priv))
				return bad(c, p, "securityContext.privileged: want a boolean");
			k->privileged = json_is_true(priv);
		}
		if (get_probe(c, sp, "livenessProbe", p, &k->liveness) ||
		    get_probe(c, sp, "readinessProbe", p, &k->readiness))
			return c->why[0] ? -EINVAL : -ENOMEM;
	}
	return 0;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

void k8s_workload(const char *pod_name, const char *generate_name, const char *owner_kind,
		  const char *owner_name, const char *template_hash, const char *deploymentconfig,
		  char *name, size_t namelen, char *kind, size_t kindlen)
{
	snprintf(name, namelen, "%s", pod_name);
	snprintf(kind, kindlen, "Pod");
	if (!generate_name || !*generate_name || !owner_kind)
		return;
	snprintf(kind, kindlen, "%s", owner_kind);
	snprintf(name, namelen, "%s", owner_name ? owner_name : "");
	if (!strcmp(owner_kind, "ReplicaSet") && template_hash && *template_hash && owner_name &&
	    has_suffix(owner_name, template_hash)) {
		size_t l = strlen(owner_name), h = strlen(template_hash);

		/* the name less "-<hash>" when it ends so */
		if (l > h && owner_name[l - h - 1] == '-')
			snprintf(name, namelen, "%.*s", (int)(l - h - 1), owner_name);
		snprintf(kind, kindlen, "Deployment");
	} else if (!strcmp(owner_kind, "ReplicationController") && deploymentconfig && *deploymentconfig) {
		snprintf(name, namelen, "%s", deploymentconfig);
		snprintf(kind, kindlen, "DeploymentConfig");
	} else if (!strcmp(owner_kind, "Job") && owner_name) {
		/* a CronJob's jobs are "<name>-<8 to 10 digits>" */
		size_t l = strlen(owner_name), d = 0;

		while (d < l && isdigit((unsigned char)owner_name[l - 1 - d]))
			d++;
		if (d >= 8 && d <= 10 && l > d + 1 && owner_name[l - 1 - d] == '-') {
			snprintf(name, namelen, "%.*s", (int)(l - d - 1), owner_name);
			snprintf(kind, kindlen, "CronJob");
		}
	}
	if (!*name)
		snprintf(name, namelen, "%s", pod_name);
}

int k8s_pod_from_json(json_t *obj, struct k8s_pod **ret, char *why, size_t whylen)
{
	struct pctx c = { why, whylen };
	struct k8s_pod *p = calloc(1, sizeof(*p));
	json_t *md, *spec, *status, *owners, *labels;
	const char *name, *ns, *uid, *gen, *rv, *okind = NULL, *oname = NULL;
	char wname[512], wkind[128];
	static const char *const lists[] = { "initContainerStatuses", "containerStatuses",
					     "ephemeralContainerStatuses" };
	size_t total = 0;
	int err = -EINVAL;

	why[0] = '\0';
	if (!p)
		return -ENOMEM;
	p->refs = 1;
	if (!json_is_object(obj)) {
		bad(&c, "pod", "want an object");
		goto out;
	}
	if (get_obj(&c, obj, "metadata", "pod", &md) || get_obj(&c, obj, "spec", "pod", &spec) ||
	    get_obj(&c, obj, "status", "pod", &status))
		goto out;
	if (!md) {
		bad(&c, "pod", "no metadata");
		goto out;
	}
	if (get_str(&c, md, "name", "metadata", &name) || get_str(&c, md, "namespace", "metadata", &ns) ||
	    get_str(&c, md, "uid", "metadata", &uid) || get_str(&c, md, "generateName", "metadata", &gen) ||
	    get_str(&c, md, "resourceVersion", "metadata", &rv) ||
	    get_arr(&c, md, "ownerReferences", "metadata", &owners))
		goto out;
	if (!name || !*name || !ns || !*ns || !uid || !*uid) {
		bad(&c, "metadata", "a pod needs a name, namespace and uid");
		goto out;
	}
	p->name = strdup(name);
	p->ns = strdup(ns);
	p->uid = strdup(uid);
	p->rv = dup_or_empty(rv);
	err = -ENOMEM;
	if (!p->name || !p->ns || !p->uid || !p->rv)
		goto out;
	err = get_map(&c, md, "labels", "metadata", &p->labels, &p->label_v, &p->nlabels,
		      &tetragon__pod__pod_labels_entry__descriptor);
	if (!err)
		err = get_map(&c, md, "annotations", "metadata", (Tetragon__Pod__PodLabelsEntry ***)&p->annotations,
			      (Tetragon__Pod__PodLabelsEntry **)&p->annot_v, &p->nannotations,
			      &tetragon__pod__pod_annotations_entry__descriptor);
	if (err)
		goto out;
	err = -EINVAL;
	for (size_t i = 0; owners && i < json_array_size(owners); i++) {
		json_t *o = json_array_get(owners, i), *ctl;

		if (!json_is_object(o)) {
			bad(&c, "metadata.ownerReferences", "want objects");
			goto out;
		}
		ctl = json_object_get(o, "controller");
		if (ctl && !json_is_null(ctl) && !json_is_boolean(ctl)) {
			bad(&c, "metadata.ownerReferences.controller", "want a boolean");
			goto out;
		}
		if (json_is_true(ctl) && !okind) {
			if (get_str(&c, o, "kind", "metadata.ownerReferences", &okind) ||
			    get_str(&c, o, "name", "metadata.ownerReferences", &oname))
				goto out;
			if (!okind)
				okind = "";
		}
	}
	labels = json_object_get(md, "labels");
	k8s_workload(name, gen, okind, oname, json_string_value(json_object_get(labels, "pod-template-hash")),
		     json_string_value(json_object_get(labels, "deploymentconfig")), wname, sizeof(wname), wkind,
		     sizeof(wkind));
	p->workload = strdup(wname);
	p->workload_kind = strdup(wkind);
	if (!p->workload || !p->workload_kind) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t l = 0; l < 3; l++) {
		json_t *a;

		if (get_arr(&c, status, lists[l], "status", &a))
			goto out;
		total += a ? json_array_size(a) : 0;
	}
	if (total > K8S_POD_CONTAINERS_MAX) {
		bad(&c, "status", "too many containers");
		goto out;
	}
	p->c = calloc(total ? total : 1, sizeof(*p->c));
	if (!p->c) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t l = 0; l < 3; l++) {
		json_t *a = status ? json_object_get(status, lists[l]) : NULL;

		for (size_t i = 0; json_is_array(a) && i < json_array_size(a); i++) {
			char path[128];

			snprintf(path, sizeof(path), "status.%s[%zu]", lists[l], i);
			p->c[p->nc].pod = p;
			err = read_container(&c, spec, json_array_get(a, i), path, &p->c[p->nc]);
			p->nc++;
			if (err)
				goto out;
		}
	}
	*ret = p;
	return 0;
out:
	if (err == -ENOMEM && !why[0])
		snprintf(why, whylen, "out of memory");
	k8s_pod_put(p);
	return err;
}

/* ---- maybe_exec_probe ------------------------------------------------------------ */

/* Shell-like words (quotes and backslashes), as go-shellquote splits; -EINVAL on unbalanced quotes. */
static int split_words(const char *s, char ***out, size_t *n)
{
	struct strbuf w = STRBUF_INIT;
	char **v = NULL;
	size_t cnt = 0;
	bool in_word = false;

	*out = NULL;
	*n = 0;
	for (;;) {
		char ch = *s;

		if (!ch || ch == ' ' || ch == '\t' || ch == '\n') {
			if (in_word) {
				char **nv = realloc(v, (cnt + 2) * sizeof(*v));

				if (!nv)
					goto oom;
				v = nv;
				v[cnt] = strbuf_detach(&w, NULL);
				if (!v[cnt])
					v[cnt] = strdup("");
				if (!v[cnt])
					goto oom;
				v[++cnt] = NULL;
				in_word = false;
			}
			if (!ch)
				break;
			s++;
			continue;
		}
		in_word = true;
		if (ch == '\\') {
			if (!s[1])
				goto bad;
			strbuf_addc(&w, s[1]);
			s += 2;
		} else if (ch == '\'') {
			const char *e = strchr(s + 1, '\'');

			if (!e)
				goto bad;
			strbuf_add(&w, s + 1, (size_t)(e - s - 1));
			s = e + 1;
		} else if (ch == '"') {
			s++;
			while (*s && *s != '"') {
				if (*s == '\\' && s[1] && strchr("\\\"$`\n", s[1]))
					s++;
				strbuf_addc(&w, *s++);
			}
			if (!*s)
				goto bad;
			s++;
		} else {
			strbuf_addc(&w, ch);
			s++;
		}
		if (w.oom)
			goto oom;
	}
	*out = v;
	*n = cnt;
	return 0;
oom:
bad:
	strbuf_free(&w);
	free_argv(v);
	return -EINVAL;
}

static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

bool k8s_maybe_exec_probe(const char *binary, const char *arguments, char *const *probe)
{
	char **args;
	size_t na, np = 0, off = 0;
	bool ok = false;

	if (!probe || !probe[0] || !binary)
		return false;
	while (probe[np])
		np++;
	if (split_words(arguments ? arguments : "", &args, &na))
		return false;
	/* a script run through its shebang repeats its path as the first argument */
	if (!strcmp(probe[0], binary) && na && !strcmp(args[0], binary))
		off = 1;
	if (np != na - off + 1)
		goto out;
	if (probe[0][0] == '/' ? strcmp(binary, probe[0]) : strcmp(base(binary), base(probe[0])))
		goto out;
	for (size_t i = 1; i < np; i++)
		if (strcmp(probe[i], args[off + i - 1]))
			goto out;
	ok = true;
out:
	free_argv(args);
	return ok;
}

/* ---- container ids from cgroup paths (until the process cache carries them) ----- */

static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

size_t k8s_cgroup_container_id(const char *path, char *buf, size_t len)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-", "" };
	const char *last = strrchr(path, '/');
	size_t n;

	last = last ? last + 1 : path;
	n = strlen(last);
	if (n > 6 && !strcmp(last + n - 6, ".scope"))
		n -= 6;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t l = strlen(prefixes[i]);

		if (n > l && !strncmp(last, prefixes[i], l) && is_hex64(last + l, n - l)) {
			snprintf(buf, len, "%.*s", (int)(n - l), last + l);
			return n - l < len ? n - l : len - 1;
		}
	}
	buf[0] = '\0';
	return 0;
}

size_t k8s_procfs_container_id(void *ctx, const struct process *p, char *buf, size_t len)
{
	char path[512], data[8192];
	const char *procfs = ctx ? ctx : "/proc";
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%u/cgroup", procfs, p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	data[n] = '\0';
	/* "hierarchy:controllers:path" per line: the first path naming a container */
	for (char *line = data, *nl; line && *line; line = nl) {
		char *c1, *c2;
		size_t r;

		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		c1 = strchr(line, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		r = k8s_cgroup_container_id(c2 + 1, buf, len);
		if (r)
			return r;
	}
	return 0;
}

/* ---- the cache ---------------------------------------------------------------------- */

#define UID_BUCKETS 4096
#define CID_BUCKETS 16384
#define CID_HASH_LEN 12		/* docker's short ids: every id a process carries is longer */

struct k8s_pods {
	struct k8s_pods_opts o;
	struct k8s_pod *uid[UID_BUCKETS];
	struct k8s_container *cid[CID_BUCKETS];
	struct k8s_pod *del_head, *del_tail;
	struct k8s_pods_stats st;
	uint64_t gen;		/* changes since start: views without a pod look again */
};

static uint32_t hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n && s[i]; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

struct k8s_pods *k8s_pods_new(const struct k8s_pods_opts *o)
{
	struct k8s_pods *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->o = *o;
	if (!c->o.container_id)
		c->o.container_id = k8s_procfs_container_id;
	return c;
}

static void index_pod(struct k8s_pods *c, struct k8s_pod *p)
{
	for (size_t i = 0; i < p->nc; i++) {
		struct k8s_container *k = &p->c[i];
		uint32_t b;

		if (!k->key || strlen(k->key) < CID_HASH_LEN)
			continue;
		b = hash(k->key, CID_HASH_LEN) % CID_BUCKETS;
		k->hnext = c->cid[b];
		c->cid[b] = k;
	}
}

static void unindex_pod(struct k8s_pods *c, struct k8s_pod *p)
{
	for (size_t i = 0; i < p->nc; i++) {
		struct k8s_container *k = &p->c[i], **pp;

		if (!k->key || strlen(k->key) < CID_HASH_LEN)
			continue;
		for (pp = &c->cid[hash(k->key, CID_HASH_LEN) % CID_BUCKETS]; *pp; pp = &(*pp)->hnext)
			if (*pp == k) {
				*pp = k->hnext;
				break;
			}
		k->hnext = NULL;
	}
}

static struct k8s_pod **uid_slot(struct k8s_pods *c, const char *uid)
{
	struct k8s_pod **pp = &c->uid[hash(uid, SIZE_MAX) % UID_BUCKETS];

	while (*pp && strcmp((*pp)->uid, uid))
		pp = &(*pp)->unext;
	return pp;
}

static void drop_deleted_oldest(struct k8s_pods *c)
{
	struct k8s_pod *p = c->del_head;

	c->del_head = p->dnext;
	if (!c->del_head)
		c->del_tail = NULL;
	c->st.deleted_pods--;
	c->st.deleted_containers -= p->nc;
	c->st.deleted_evictions++;
	unindex_pod(c, p);
	k8s_pod_put(p);
}

/* p left the live set: keep it among the deleted (its reference moves there). */
static void retire(struct k8s_pods *c, struct k8s_pod *p)
{
	c->st.pods--;
	c->st.containers -= p->nc;
	if (!c->o.deleted_max || !p->nc) {
		unindex_pod(c, p);
		k8s_pod_put(p);
		return;
	}
	p->deleted = true;
	p->dnext = NULL;
	if (c->del_tail)
		c->del_tail->dnext = p;
	else
		c->del_head = p;
	c->del_tail = p;
	c->st.deleted_pods++;
	c->st.deleted_containers += p->nc;
	while (c->st.deleted_containers > c->o.deleted_max && c->del_head)
		drop_deleted_oldest(c);
}

void k8s_pods_free(struct k8s_pods *c)
{
	if (!c)
		return;
	for (size_t b = 0; b < UID_BUCKETS; b++)
		while (c->uid[b]) {
			struct k8s_pod *p = c->uid[b];

			c->uid[b] = p->unext;
			k8s_pod_put(p);
		}
	while (c->del_head) {
		struct k8s_pod *p = c->del_head;

		c->del_head = p->dnext;
		k8s_pod_put(p);
	}
	free(c);
}

int k8s_pods_upsert(struct k8s_pods *c, struct k8s_pod *p)
{
	struct k8s_pod **pp = uid_slot(c, p->uid), *old = *pp;

	if (old) {
		*pp = old->unext;
		unindex_pod(c, old);
		c->st.pods--;
		c->st.containers -= old->nc;
		k8s_pod_put(old);
	} else if (c->st.pods >= K8S_PODS_MAX) {
		c->st.refused_full++;
		k8s_pod_put(p);
		return -ENOSPC;
	}
	pp = uid_slot(c, p->uid);
	p->unext = NULL;
	*pp = p;
	index_pod(c, p);
	c->st.pods++;
	c->st.containers += p->nc;
	c->gen++;
	return 0;
}

int k8s_pods_delete(struct k8s_pods *c, const char *uid)
{
	struct k8s_pod **pp = uid_slot(c, uid), *p = *pp;

	if (!p)
		return -ENOENT;
	*pp = p->unext;
	p->unext = NULL;
	retire(c, p);
	return 0;
}

int k8s_pods_replace(struct k8s_pods *c, struct k8s_pod **v, size_t n)
{
	struct k8s_pod *old = NULL;
	int err = 0;

	/* the old live set aside, the new one in, then the old ones not listed retire */
	for (size_t b = 0; b < UID_BUCKETS; b++)
		while (c->uid[b]) {
			struct k8s_pod *p = c->uid[b];

			c->uid[b] = p->unext;
			p->unext = old;
			old = p;
			unindex_pod(c, p);
		}
	c->st.pods = 0;
	c->st.containers = 0;
	for (size_t i = 0; i < n; i++)
		if (k8s_pods_upsert(c, v[i]))
			err = -ENOSPC;
	while (old) {
		struct k8s_pod *p = old, **pp;

		old = p->unext;
		p->unext = NULL;
		pp = uid_slot(c, p->uid);
		if (*pp) {
			k8s_pod_put(p);	/* listed again: the new one replaced it */
			continue;
		}
		c->st.pods++;	/* retire() counts it out */
		c->st.containers += p->nc;
		index_pod(c, p);
		retire(c, p);
	}
	c->gen++;
	return err;
}

const struct k8s_container *k8s_pods_find(struct k8s_pods *c, const char *cid)
{
	size_t n = strlen(cid);
	const struct k8s_container *found = NULL;

	if (!n)
		return NULL;
	if (n >= CID_HASH_LEN) {
		for (const struct k8s_container *k = c->cid[hash(cid, CID_HASH_LEN) % CID_BUCKETS]; k; k = k->hnext)
			if (!strncmp(k->key, cid, n) && (!found || (found->pod->deleted && !k->pod->deleted)))
				found = k;
	} else {
		/* a short id: every container */
		for (size_t b = 0; b < UID_BUCKETS && !found; b++)
			for (const struct k8s_pod *p = c->uid[b]; p && !found; p = p->unext)
				for (size_t i = 0; i < p->nc && !found; i++)
					if (p->c[i].key && !strncmp(p->c[i].key, cid, n))
						found = &p->c[i];
	}
	return found;
}

void k8s_pods_stats(const struct k8s_pods *c, struct k8s_pods_stats *st)
{
	*st = c->st;
}

/* ---- views ------------------------------------------------------------------------------- */

struct pod_view {
	struct k8s_pod *pod;	/* referenced */
	uint64_t gen;		/* c->gen when looked up without a match */
	bool has_msg;
	Tetragon__Pod msg;
	Tetragon__Container cont;
	Tetragon__Image img;
	Google__Protobuf__Timestamp start;
	Google__Protobuf__UInt32Value pid;
	Tetragon__SecurityContext sc;
	char cid[K8S_CID_MAX];
};

static void fill(struct k8s_pods *c, struct pod_view *v, const struct k8s_container *k, struct process *p)
{
	struct k8s_pod *pod = k->pod;

	v->pod = pod;
	pod->refs++;
	tetragon__pod__init(&v->msg);
	tetragon__container__init(&v->cont);
	tetragon__image__init(&v->img);
	tetragon__security_context__init(&v->sc);
	v->msg.namespace_ = pod->ns;
	v->msg.name = pod->name;
	v->msg.uid = pod->uid;
	v->msg.workload = pod->workload;
	v->msg.workload_kind = pod->workload_kind;
	v->msg.n_pod_labels = pod->nlabels;
	v->msg.pod_labels = pod->labels;
	if (c->o.annotations) {
		v->msg.n_pod_annotations = pod->nannotations;
		v->msg.pod_annotations = pod->annotations;
	}
	v->cont.id = k->id;
	v->cont.name = k->name;
	v->img.id = k->image_id;
	v->img.name = k->image;
	v->cont.image = &v->img;
	if (k->running) {
		google__protobuf__timestamp__init(&v->start);
		v->start.seconds = k->start_sec;
		v->start.nanos = k->start_nsec;
		v->cont.start_time = &v->start;
	}
	/* the pid inside the container, when the kernel gave one */
	if (p->nspid) {
		google__protobuf__uint32_value__init(&v->pid);
		v->pid.value = p->nspid;
		v->cont.pid = &v->pid;
	}
	v->cont.maybe_exec_probe = k8s_maybe_exec_probe(p->binary, p->arguments, k->liveness) ||
				   k8s_maybe_exec_probe(p->binary, p->arguments, k->readiness);
	v->sc.privileged = k->privileged;
	v->cont.security_context = &v->sc;
	v->msg.container = &v->cont;
	v->has_msg = true;
	if (pod->deleted)
		c->st.deleted_hits++;
	c->st.hits++;
}

static void lookup(struct k8s_pods *c, struct pod_view *v, struct process *p)
{
	const struct k8s_container *k;

	c->st.lookups++;
	k = k8s_pods_find(c, v->cid);
	if (k) {
		fill(c, v, k, p);
		return;
	}
	c->st.misses++;
	v->gen = c->gen;
}

const Tetragon__Pod *k8s_pod_view(struct k8s_pods *c, struct process *p, void **slot, void *parent_slot)
{
	struct pod_view *v = *slot, *pv = parent_slot;

	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return NULL;
		*slot = v;
		if (!c->o.container_id(c->o.container_id_ctx, p, v->cid, sizeof(v->cid)) && pv)
			snprintf(v->cid, sizeof(v->cid), "%s", pv->cid);
		if (v->cid[0])
			lookup(c, v, p);
	}
	return v->has_msg ? &v->msg : NULL;
}

bool k8s_pod_view_refresh(struct k8s_pods *c, struct process *p, void **slot, void *parent_slot)
{
	struct pod_view *v = *slot;

	if (!v)
		return k8s_pod_view(c, p, slot, parent_slot) != NULL;
	if (v->has_msg || !v->cid[0] || v->gen == c->gen)
		return false;
	lookup(c, v, p);
	return v->has_msg;
}

const Tetragon__Pod *k8s_pod_view_msg(void *slot)
{
	struct pod_view *v = slot;

	return v && v->has_msg ? &v->msg : NULL;
}

void k8s_pod_view_free(void *slot)
{
	struct pod_view *v = slot;

	if (!v)
		return;
	k8s_pod_put(v->pod);
	free(v);
}
