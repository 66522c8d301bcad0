// SPDX-License-Identifier: Apache-2.0
#include "agent/config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/yaml_dom.h"
#include "util/log.h"
#include "util/safe_path.h"

extern char **environ;

static const char *const package_dropins[] = {
	"/usr/lib/tetragon/tetragon.conf.d",
	"/usr/local/lib/tetragon/tetragon.conf.d",
	NULL,
};

const struct config_roots config_default_roots = {
	.etc_dir = "/etc/tetragon",
	.package_dropins = package_dropins,
};

static const struct config_roots no_roots = { .etc_dir = NULL, .package_dropins = NULL };

#define MAX_VALUE (64 * 1024)	/* one setting; a filter list can be long, not larger */
#define MAX_SETTINGS 512

struct setting {
	char *key, *value, *origin;
};

struct settings {
	struct setting *v;
	size_t n;
	config_flag_kind_fn kind;
};

static int set(struct settings *s, const char *key, const char *value, const char *origin)
{
	size_t i;

	if (s->kind(key) < 0) {
		log_warn("%s: \"%s\" is not a flag of this agent; ignored", origin, key);
		return 0;
	}
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			break;
	if (i == s->n) {
		struct setting *nv;

		if (s->n == MAX_SETTINGS)
			return -E2BIG;
		nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->v[s->n++] = (struct setting){ strdup(key), NULL, NULL };
		if (!s->v[i].key)
			return -ENOMEM;
	}
	free(s->v[i].value);
	free(s->v[i].origin);
	s->v[i].value = strdup(value);
	s->v[i].origin = strdup(origin);
	return s->v[i].value && s->v[i].origin ? 0 : -ENOMEM;
}

static const char *get(const struct settings *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return s->v[i].value;
	return NULL;
}

/* The whole of a trusted file, NUL-terminated; *len its length. */
static int read_fd(int fd, const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (n + 1 == cap) {
			char *nb;

			if (cap >= MAX_VALUE * 4) {
				free(buf);
				snprintf(err, errlen, "%s: larger than %d bytes", path, MAX_VALUE * 4);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (r < 0) {
		r = -errno;
		free(buf);
		snprintf(err, errlen, "%s: %s", path, strerror((int)-r));
		return (int)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

/* One file per flag. A missing directory is no error (@required: it is). */
static int read_dropins(struct settings *s, const char *dir, bool required, char *err, size_t errlen)
{
	char why[SAFE_WHY_MAX];
	struct dirent *de;
	int dirfd, lfd, r = 0;
	DIR *d;

	if (access(dir, F_OK) && errno == ENOENT && !required)
		return 0;
	dirfd = safe_dir_open(dir, 0, why, sizeof(why));
	if (dirfd < 0) {
		snprintf(err, errlen, "configuration directory refused: %s", why);
		return dirfd;
	}
	lfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		r = -errno;
		snprintf(err, errlen, "cannot read configuration directory %s: %s", dir, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		close(dirfd);
		return r;
	}
	while (!r && (de = readdir(d))) {
		struct safe_open_opts so = { .oflags = O_RDONLY, .flags = SAFE_FOLLOW };
		char origin[4200], *buf = NULL;
		size_t len;
		int fd;

		/* ".", "..", and Kubernetes ConfigMap internals (..data) */
		if (de->d_name[0] == '.')
			continue;
		snprintf(origin, sizeof(origin), "%s/%s", dir, de->d_name);
		fd = safe_openat(dirfd, dir, de->d_name, &so, why, sizeof(why));
		if (fd == -EISDIR || fd == -EINVAL)
			continue;	/* directories and other non-files, as upstream */
		if (fd < 0) {
			snprintf(err, errlen, "configuration file refused: %s", why);
			r = fd;
			break;
		}
		r = read_fd(fd, origin, &buf, &len, err, errlen);
		close(fd);
		if (r)
			break;
		if (len > MAX_VALUE) {
			snprintf(err, errlen, "%s: larger than %d bytes", origin, MAX_VALUE);
			free(buf);
			r = -EFBIG;
			break;
		}
		trim(buf);
		r = set(s, de->d_name, buf, origin);
		free(buf);
	}
	closedir(d);
	close(dirfd);
	return r;
}

/* A scalar as text; a sequence of scalars joined with commas. */
static int yaml_value(const struct ydom_node *n, char *buf, size_t len)
{
	size_t off = 0, i;

	if (n->kind == YDOM_SCALAR) {
		if (n->len >= len || strlen(n->str) != n->len)
			return -EINVAL;
		memcpy(buf, n->str, n->len + 1);
		return 0;
	}
	if (n->kind != YDOM_SEQ)
		return -EINVAL;
	buf[0] = '\0';
	for (i = 0; i < n->nitems; i++) {
		const struct ydom_node *it = n->items[i];
		int k;

		if (it->kind != YDOM_SCALAR || strlen(it->str) != it->len)
			return -EINVAL;
		k = snprintf(buf + off, len - off, "%s%s", i ? "," : "", it->str);
		if (k < 0 || (size_t)k >= len - off)
			return -EINVAL;
		off += (size_t)k;
	}
	return 0;
}

static int read_yaml(struct settings *s, const char *path, bool required, char *err, size_t errlen)
{
	struct safe_open_opts so = { .oflags = O_RDONLY, .flags = SAFE_FOLLOW };
	struct ydom_stream *ys = NULL;
	struct ydom_error ye;
	const struct ydom_node *root;
	char why[SAFE_WHY_MAX], *buf = NULL, *val;
	size_t len, i;
	int fd, r;

	if (access(path, F_OK) && errno == ENOENT && !required)
		return 0;
	fd = safe_open(path, &so, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "configuration file refused: %s", why);
		return fd;
	}
	r = read_fd(fd, path, &buf, &len, err, errlen);
	close(fd);
	if (r)
		return r;
	r = ydom_parse(buf, len, &ys, &ye);
	free(buf);
	if (r) {
		snprintf(err, errlen, "%s:%u:%u: %s", path, ye.line, ye.col, ye.msg);
		return r;
	}
	if (ys->ndocs > 1) {
		snprintf(err, errlen, "%s: one YAML document expected, found %zu", path, ys->ndocs);
		ydom_stream_free(ys);
		return -EINVAL;
	}
	root = ys->ndocs ? ys->docs[0].root : NULL;
	if (!root || ydom_is_null(root)) {
		ydom_stream_free(ys);
		return 0;
	}
	if (root->kind != YDOM_MAP) {
		snprintf(err, errlen, "%s:%u:%u: a mapping of flag names to values expected", path, root->line,
			 root->col);
		ydom_stream_free(ys);
		return -EINVAL;
	}
	val = malloc(MAX_VALUE);
	if (!val) {
		ydom_stream_free(ys);
		return -ENOMEM;
	}
	for (i = 0; !r && i < root->npairs; i++) {
		const struct ydom_pair *p = &root->pairs[i];
		char origin[4200];

		if (p->key->kind != YDOM_SCALAR || yaml_value(p->value, val, MAX_VALUE)) {
			snprintf(err, errlen, "%s:%u:%u: a flag name and a value (text, or a list of texts) expected",
				 path, p->key->line, p->key->col);
			r = -EINVAL;
			break;
		}
		snprintf(origin, sizeof(origin), "%s:%u", path, p->key->line);
		r = set(s, p->key->str, val, origin);
	}
	free(val);
	ydom_stream_free(ys);
	return r;
}

/* "--name=value" or "--name value": the value of --name on the command line. */
static const char *arg_value(int argc, char **argv, const char *name, bool *given)
{
	size_t l = strlen(name);
	const char *v = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			break;
		if (strncmp(a, "--", 2) || strncmp(a + 2, name, l))
			continue;
		if (a[2 + l] == '=') {
			v = a + 3 + l;
			*given = true;
		} else if (!a[2 + l]) {
			*given = true;
			v = i + 1 < argc ? argv[++i] : NULL;
		}
	}
	return v;
}

/* Flags the command line sets: their configured values are not added. */
static bool on_command_line(int argc, char **argv, const char *name)
{
	size_t l = strlen(name);

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strncmp(argv[i], "--", 2) && !strncmp(argv[i] + 2, name, l) &&
		    (argv[i][2 + l] == '=' || !argv[i][2 + l]))
			return true;
	}
	return false;
}

static int read_environment(struct settings *s)
{
	for (char **e = environ; *e; e++) {
		char name[128], origin[160];
		const char *eq;
		size_t l, i;
		int r;

		if (strncmp(*e, "TETRAGON_", 9))
			continue;
		eq = strchr(*e, '=');
		l = eq ? (size_t)(eq - *e) - 9 : 0;
		if (!eq || !l || l >= sizeof(name))
			continue;
		for (i = 0; i < l; i++)
			name[i] = (*e)[9 + i] == '_' ? '-' : (char)tolower((unsigned char)(*e)[9 + i]);
		name[l] = '\0';
		/* TETRAGON_* variables that are not flags belong to someone else */
		if (s->kind(name) < 0)
			continue;
		snprintf(origin, sizeof(origin), "environment variable %.*s", (int)(l + 9), *e);
		r = set(s, name, eq + 1, origin);
		if (r)
			return r;
	}
	return 0;
}

int config_expand(int argc, char **argv, const struct config_roots *roots, config_flag_kind_fn kind,
		  struct config_argv *out, char *err, size_t errlen)
{
	struct settings s = { .kind = kind };
	char path[4096];
	const char *file, *dir;
	bool file_given = false, dir_given = false;
	size_t i;
	int r = 0, n;

	memset(out, 0, sizeof(*out));
	{
		bool given = false;
		const char *v = arg_value(argc, argv, "read-system-config", &given);

		if (!given && (v = getenv("TETRAGON_READ_SYSTEM_CONFIG")))
			given = true;

		/* a test agent must not take the host's configuration */
		if (given && v && (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no")))
			roots = &no_roots;
	}
	for (i = 0; !r && roots->package_dropins && roots->package_dropins[i]; i++)
		r = read_dropins(&s, roots->package_dropins[i], false, err, errlen);
	file = arg_value(argc, argv, "config-file", &file_given);
	if (!r && (file_given || roots->etc_dir)) {
		snprintf(path, sizeof(path), "%s/tetragon.yaml", roots->etc_dir ? roots->etc_dir : "");
		r = read_yaml(&s, file_given ? (file ? file : "") : path, file_given, err, errlen);
	}
	if (!r && roots->etc_dir) {
		snprintf(path, sizeof(path), "%s/tetragon.conf.d", roots->etc_dir);
		r = read_dropins(&s, path, false, err, errlen);
	}
	if (!r)
		r = read_environment(&s);
	/* --config-dir: the command line's, else the environment's or a file's */
	dir = arg_value(argc, argv, "config-dir", &dir_given);
	if (!dir_given)
		dir = get(&s, "config-dir");
	if (!r && dir && *dir) {
		r = read_dropins(&s, dir, true, err, errlen);
		/* the environment still beats the directory */
		if (!r)
			r = read_environment(&s);
	}
	if (r) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory reading the configuration");
		else if (r == -E2BIG)
			snprintf(err, errlen, "more than %d configuration settings", MAX_SETTINGS);
		goto out;
	}

	out->argv = calloc((size_t)argc + s.n + 1, sizeof(char *));
	out->origin = calloc((size_t)argc + s.n + 1, sizeof(char *));
	if (!out->argv || !out->origin) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = 0;
	out->argv[n++] = strdup(argv[0]);
	for (i = 0; i < s.n; i++) {
		size_t l;

		if (!strcmp(s.v[i].key, "config-dir") || !strcmp(s.v[i].key, "config-file") ||
		    !strcmp(s.v[i].key, "read-system-config") ||
		    on_command_line(argc, argv, s.v[i].key))
			continue;
		l = strlen(s.v[i].key) + strlen(s.v[i].value) + 4;
		out->argv[n] = malloc(l);
		out->origin[n] = strdup(s.v[i].origin);
		if (!out->argv[n] || !out->origin[n]) {
			out->argc = n + 1;
			r = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		snprintf(out->argv[n], l, "--%s=%s", s.v[i].key, s.v[i].value);
		n++;
	}
	for (int a = 1; a < argc; a++)
		out->argv[n++] = strdup(argv[a]);
	out->argc = n;
	for (int a = 0; a < n; a++)
		if (!out->argv[a])
			r = -ENOMEM;
out:
	for (i = 0; i < s.n; i++) {
		free(s.v[i].key);
		free(s.v[i].value);
		free(s.v[i].origin);
	}
	free(s.v);
	if (r)
		config_argv_free(out);
	return r;
}

void config_argv_free(struct config_argv *a)
{
	for (int i = 0; i < a->argc; i++) {
		free(a->argv[i]);
		if (a->origin)
			free(a->origin[i]);
	}
	free(a->argv);
	free(a->origin);
	memset(a, 0, sizeof(*a));
}
