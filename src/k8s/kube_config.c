// SPDX-License-Identifier: Apache-2.0
#include "k8s/kube_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/yaml_dom.h"

#define KUBECONFIG_MAX (4u << 20)

/* A whole regular file of at most max bytes, NUL-terminated. */
static int read_file(const char *path, size_t max, char **out, size_t *outlen, char *why, size_t whylen)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((size_t)st.st_size > max) {
		snprintf(why, whylen, "%s: %lld bytes, more than the %zu this agent reads", path,
			 (long long)st.st_size, max);
		close(fd);
		return -EFBIG;
	}
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -EIO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			snprintf(why, whylen, "%s: more than the %zu bytes this agent reads", path, max);
			free(buf);
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A token as HTTP carries it: visible ASCII only (it goes into a header). */
static bool token_ok(const char *t, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] >= 0x7f)
			return false;
	return true;
}

char *kube_config_token(const struct kube_config *c, char *why, size_t whylen)
{
	char *buf;
	size_t n, s = 0;

	if (c->token)
		return strdup(c->token);
	if (!c->token_file)
		return NULL;
	if (read_file(c->token_file, KUBE_MAX_SECRET, &buf, &n, why, whylen))
		return NULL;
	while (s < n && is_ws(buf[s]))
		s++;
	while (n > s && is_ws(buf[n - 1]))
		n--;
	if (!token_ok(buf + s, n - s)) {
		snprintf(why, whylen, "%s: the token is empty or has characters a bearer token cannot have",
			 c->token_file);
		free(buf);
		return NULL;
	}
	memmove(buf, buf + s, n - s);
	buf[n - s] = '\0';
	return buf;
}

void kube_config_free(struct kube_config *c)
{
	free(c->server);
	free(c->ca_file);
	free(c->ca_data);
	free(c->token);
	free(c->token_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->cert_data);
	if (c->key_data) {
		explicit_bzero(c->key_data, c->key_len);
		free(c->key_data);
	}
	free(c->namespace_);
	memset(c, 0, sizeof(*c));
}

static int b64v(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int kube_base64_decode(const char *in, size_t len, char **out, size_t *outlen)
{
	char *buf = malloc(len / 4 * 3 + 4);
	unsigned q[4];
	size_t n = 0, k = 0, pad = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (in[i] == '\n' || in[i] == '\r')
			continue;
		if (in[i] == '=') {
			pad++;
			q[k++] = 0;
		} else {
			v = b64v(in[i]);
			if (v < 0 || pad)
				goto bad;
			q[k++] = (unsigned)v;
		}
		if (k == 4) {
			if (pad > 2)
				goto bad;
			buf[n++] = (char)(q[0] << 2 | q[1] >> 4);
			if (pad < 2)
				buf[n++] = (char)((q[1] & 15) << 4 | q[2] >> 2);
			if (pad < 1)
				buf[n++] = (char)((q[2] & 3) << 6 | q[3]);
			k = 0;
			if (pad) {
				/* nothing may follow the padding */
				for (i++; i < len; i++)
					if (in[i] != '\n' && in[i] != '\r')
						goto bad;
				break;
			}
		}
	}
	if (k || !n)
		goto bad;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

/* "https://" host [":" port], nothing else (a path would be prefixed to every request). */
static int check_server(const char *s, char *why, size_t whylen, const char *where)
{
	const char *h;

	if (strncmp(s, "https://", 8)) {
		snprintf(why, whylen, "%s: server \"%.200s\": only https:// servers are supported (the bearer token "
			 "must not travel in clear)", where, s);
		return -EINVAL;
	}
	h = s + 8;
	if (!*h || strlen(s) > 400) {
		snprintf(why, whylen, "%s: server \"%.200s\": no host, or too long", where, s);
		return -EINVAL;
	}
	for (const char *p = h; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '?' || *p == '#' || *p == '@' || (*p == '/' && p[1])) {
			snprintf(why, whylen, "%s: server \"%.200s\": want https://HOST[:PORT] without a path, user "
				 "or query", where, s);
			return -EINVAL;
		}
	return 0;
}

static char *strip_slash(char *s)
{
	size_t l = s ? strlen(s) : 0;

	if (l && s[l - 1] == '/')
		s[l - 1] = '\0';
	return s;
}

int kube_config_in_cluster(struct kube_config *c, const char *sa_dir, char *why, size_t whylen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	char path[4096], url[512];
	char *buf;
	size_t n;
	int err;

	memset(c, 0, sizeof(*c));
	snprintf(c->source, sizeof(c->source), "in-cluster configuration");
	if (!host || !*host || !port || !*port) {
		snprintf(why, whylen, "in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
			 "are not set (not running in a pod?); give --k8s-kubeconfig-path instead");
		return -ENOENT;
	}
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9' || p - port > 5) {
			snprintf(why, whylen, "in-cluster configuration: KUBERNETES_SERVICE_PORT \"%.40s\" is not a "
				 "port number", port);
			return -EINVAL;
		}
	/* an IPv6 address goes in brackets */
	snprintf(url, sizeof(url), strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	err = check_server(url, why, whylen, "in-cluster configuration");
	if (err)
		return err;
	c->server = strdup(url);
	snprintf(path, sizeof(path), "%s/token", sa_dir);
	c->token_file = strdup(path);
	snprintf(path, sizeof(path), "%s/ca.crt", sa_dir);
	c->ca_file = strdup(path);
	if (!c->server || !c->token_file || !c->ca_file) {
		kube_config_free(c);
		return -ENOMEM;
	}
	/* read both now: a missing service account is a start-up error, not a retry loop */
	buf = kube_config_token(c, why, whylen);
	if (!buf) {
		kube_config_free(c);
		return -EINVAL;
	}
	free(buf);
	err = read_file(c->ca_file, KUBE_MAX_SECRET, &buf, &n, why, whylen);
	if (err) {
		kube_config_free(c);
		return err;
	}
	free(buf);
	snprintf(path, sizeof(path), "%s/namespace", sa_dir);
	if (!read_file(path, 256, &buf, &n, why, whylen)) {
		while (n && is_ws(buf[n - 1]))
			buf[--n] = '\0';
		c->namespace_ = buf;
	}
	return 0;
}

/* ---- kubeconfig ------------------------------------------------------------- */

struct kctx {
	const char *path;
	char dir[4096];
	char *why;
	size_t whylen;
};

static int kbad(struct kctx *k, const struct ydom_node *n, const char *fmt, const char *a)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a);
	if (n)
		snprintf(k->why, k->whylen, "%s:%u:%u: %s", k->path, n->line, n->col, msg);
	else
		snprintf(k->why, k->whylen, "%s: %s", k->path, msg);
	return -EINVAL;
}

/* The string value of key in map, NULL when absent or null; -EINVAL (why) when not a string. */
static int kstr(struct kctx *k, const struct ydom_node *map, const char *key, const char **out)
{
	const struct ydom_node *v = ydom_map_get(map, key);

	*out = NULL;
	if (!v || ydom_is_null(v))
		return 0;
	if (v->kind != YDOM_SCALAR || strlen(v->str) != v->len)
		return kbad(k, v, "%s: want a string", key);
	*out = v->str;
	return 0;
}

/* The entry of a named list (clusters, users, contexts) called name, and its inner map. */
static int kfind(struct kctx *k, const struct ydom_node *root, const char *list, const char *inner,
		 const char *name, const struct ydom_node **out)
{
	const struct ydom_node *l = ydom_map_get(root, list);

	*out = NULL;
	if (!l || ydom_is_null(l))
		return kbad(k, NULL, "no %s in the file", list);
	if (l->kind != YDOM_SEQ)
		return kbad(k, l, "%s: want a list", list);
	for (size_t i = 0; i < l->nitems; i++) {
		const struct ydom_node *e = l->items[i], *in;
		const char *n;

		if (e->kind != YDOM_MAP)
			return kbad(k, e, "%s: want a list of mappings", list);
		if (kstr(k, e, "name", &n))
			return -EINVAL;
		if (!n || strcmp(n, name))
			continue;
		in = ydom_map_get(e, inner);
		if (!in || in->kind != YDOM_MAP)
			return kbad(k, e, "this entry has no %s mapping", inner);
		*out = in;
		return 0;
	}
	snprintf(k->why, k->whylen, "%s: no %s named \"%.200s\" (named by the current context)", k->path, list,
		 name);
	return -ENOENT;
}

/* A file named in the kubeconfig: relative to its directory, as kubectl reads it. */
static char *kpath(struct kctx *k, const char *p)
{
	char buf[8192];

	if (p[0] == '/')
		return strdup(p);
	snprintf(buf, sizeof(buf), "%s/%s", k->dir, p);
	return strdup(buf);
}

static int kdata(struct kctx *k, const struct ydom_node *map, const char *key, char **out, size_t *len)
{
	const char *s;
	const struct ydom_node *v = ydom_map_get(map, key);

	if (kstr(k, map, key, &s))
		return -EINVAL;
	if (!s)
		return 0;
	if (kube_base64_decode(s, strlen(s), out, len))
		return kbad(k, v, "%s: not valid base64", key);
	return 0;
}

static const char *const unsupported_user[] = { "exec", "auth-provider", "username", "password", "as",
						 "as-groups", "as-uid" };

int kube_config_load_file(struct kube_config *c, const char *path, char *why, size_t whylen)
{
	struct kctx k = { .path = path, .why = why, .whylen = whylen };
	const struct ydom_node *root, *ctx, *cluster, *user, *v;
	const char *cur, *cl_name, *user_name, *s, *slash;
	struct ydom_stream *ys = NULL;
	struct ydom_error ye;
	char *buf;
	size_t n;
	int err;

	memset(c, 0, sizeof(*c));
	snprintf(c->source, sizeof(c->source), "%s", path);
	slash = strrchr(path, '/');
	if (slash)
		snprintf(k.dir, sizeof(k.dir), "%.*s", (int)(slash - path) ? (int)(slash - path) : 1, path);
	else
		snprintf(k.dir, sizeof(k.dir), ".");
	err = read_file(path, KUBECONFIG_MAX, &buf, &n, why, whylen);
	if (err)
		return err;
	err = ydom_parse(buf, n, &ys, &ye);
	free(buf);
	if (err) {
		if (err == -ENOMEM)
			return err;
		snprintf(why, whylen, "%s:%u:%u: %s", path, ye.line, ye.col, ye.msg);
		return -EINVAL;
	}
	err = -EINVAL;
	if (ys->ndocs != 1 || ys->docs[0].root->kind != YDOM_MAP) {
		kbad(&k, NULL, "want one YAML document holding a mapping%s", "");
		goto out;
	}
	root = ys->docs[0].root;
	if (kstr(&k, root, "kind", &s))
		goto out;
	if (s && strcmp(s, "Config")) {
		kbad(&k, ydom_map_get(root, "kind"), "kind \"%.100s\": a kubeconfig has kind Config", s);
		goto out;
	}
	if (kstr(&k, root, "current-context", &cur))
		goto out;
	if (!cur || !*cur) {
		kbad(&k, NULL, "no current-context: this agent uses the current context's cluster and user%s", "");
		goto out;
	}
	if ((err = kfind(&k, root, "contexts", "context", cur, &ctx)))
		goto out;
	err = -EINVAL;
	if (kstr(&k, ctx, "cluster", &cl_name) || kstr(&k, ctx, "user", &user_name))
		goto out;
	if (!cl_name) {
		kbad(&k, ydom_map_get(root, "contexts"), "context \"%.100s\" names no cluster", cur);
		goto out;
	}
	if ((err = kfind(&k, root, "clusters", "cluster", cl_name, &cluster)))
		goto out;
	err = -EINVAL;
	if (kstr(&k, cluster, "server", &s))
		goto out;
	if (!s) {
		kbad(&k, cluster, "cluster \"%.100s\" has no server", cl_name);
		goto out;
	}
	{
		char where[600];

		snprintf(where, sizeof(where), "%s: cluster \"%.100s\"", path, cl_name);
		if (check_server(s, why, whylen, where))
			goto out;
	}
	c->server = strip_slash(strdup(s));
	v = ydom_map_get(cluster, "insecure-skip-tls-verify");
	if (v && v->kind == YDOM_SCALAR && !strcmp(v->str, "true")) {
		kbad(&k, v, "insecure-skip-tls-verify: this agent always verifies the API server (it sends it a "
			 "token); give its CA in certificate-authority or certificate-authority-data%s", "");
		goto out;
	}
	if (ydom_map_get(cluster, "proxy-url")) {
		kbad(&k, ydom_map_get(cluster, "proxy-url"), "proxy-url is not supported by this agent%s", "");
		goto out;
	}
	if (kstr(&k, cluster, "certificate-authority", &s))
		goto out;
	if (s && !(c->ca_file = kpath(&k, s)))
		goto oom;
	if (kdata(&k, cluster, "certificate-authority-data", &c->ca_data, &c->ca_len))
		goto out;
	if (user_name) {
		if ((err = kfind(&k, root, "users", "user", user_name, &user)))
			goto out;
		err = -EINVAL;
		for (size_t i = 0; i < sizeof(unsupported_user) / sizeof(unsupported_user[0]); i++)
			if ((v = ydom_map_get(user, unsupported_user[i])) && !ydom_is_null(v)) {
				kbad(&k, v, "user: %s is not supported by this agent (use a token, tokenFile or a client "
					 "certificate)", unsupported_user[i]);
				goto out;
			}
		if (kstr(&k, user, "token", &s))
			goto out;
		if (s) {
			if (!token_ok(s, strlen(s))) {
				kbad(&k, ydom_map_get(user, "token"), "token: empty or not a bearer token%s", "");
				goto out;
			}
			if (!(c->token = strdup(s)))
				goto oom;
		} else {
			if (kstr(&k, user, "tokenFile", &s))
				goto out;
			if (s && !(c->token_file = kpath(&k, s)))
				goto oom;
		}
		if (kstr(&k, user, "client-certificate", &s))
			goto out;
		if (s && !(c->cert_file = kpath(&k, s)))
			goto oom;
		if (kstr(&k, user, "client-key", &s))
			goto out;
		if (s && !(c->key_file = kpath(&k, s)))
			goto oom;
		if (kdata(&k, user, "client-certificate-data", &c->cert_data, &c->cert_len) ||
		    kdata(&k, user, "client-key-data", &c->key_data, &c->key_len))
			goto out;
		if (!!(c->cert_file || c->cert_data) != !!(c->key_file || c->key_data)) {
			kbad(&k, user, "user \"%.100s\": a client certificate needs its key, and a key its certificate",
			     user_name);
			goto out;
		}
	}
	if (kstr(&k, ctx, "namespace", &s))
		goto out;
	if (s && !(c->namespace_ = strdup(s)))
		goto oom;
	ydom_stream_free(ys);
	return 0;
oom:
	err = -ENOMEM;
	snprintf(why, whylen, "out of memory");
out:
	ydom_stream_free(ys);
	kube_config_free(c);
	snprintf(c->source, sizeof(c->source), "%s", path);
	return err;
}
