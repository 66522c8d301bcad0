// SPDX-License-Identifier: Apache-2.0
/* Docker's Engine API (also Podman's compatible one) over its unix socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "runtime/runtime_api.h"
#include "util/strbuf.h"

/* An inspect answer is a few KiB; anything much larger is not one. */
#define MAX_BODY (4 << 20)

struct body {
	struct strbuf sb;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;

	if (b->sb.len + size * n > MAX_BODY) {
		b->too_big = true;
		return 0;
	}
	strbuf_add(&b->sb, p, size * n);
	return b->sb.oom ? 0 : size * n;
}

static char *json_strdup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? strdup(s) : NULL;
}

static int labels_from(json_t *obj, struct container_label **v, size_t *n)
{
	const char *k;
	json_t *val;

	if (!json_is_object(obj))
		return 0;
	json_object_foreach(obj, k, val) {
		if (json_is_string(val) && meta_add_label(v, n, k, json_string_value(val)))
			return -ENOMEM;
	}
	return 0;
}

static enum runtime_result get_json(const char *socket, const char *path, uint64_t timeout_ms, json_t **out)
{
	struct body b = { .sb = STRBUF_INIT };
	char url[512];
	long code = 0;
	CURLcode rc;
	CURL *h;
	enum runtime_result r;

	*out = NULL;
	if (access(socket, F_OK))
		return RT_UNAVAILABLE;
	h = curl_easy_init();
	if (!h)
		return RT_ERROR;
	/* the host name is ignored on a unix socket; API version: the daemon's own */
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		r = RT_TIMEOUT;
	else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
		 rc == CURLE_GOT_NOTHING)
		r = RT_UNAVAILABLE;
	else if (rc != CURLE_OK || b.too_big || b.sb.oom)
		r = RT_ERROR;
	else if (code == 404)
		r = RT_NOT_FOUND;
	else if (code != 200)
		r = RT_ERROR;
	else {
		*out = json_loadb(b.sb.buf ? b.sb.buf : "", b.sb.len, 0, NULL);
		r = json_is_object(*out) ? RT_OK : RT_ERROR;
		if (r != RT_OK && *out) {
			json_decref(*out);
			*out = NULL;
		}
	}
	strbuf_free(&b.sb);
	return r;
}

/* ids the runtime is asked about are 64 hex digits (process/cgroup.c); nothing else goes in a URL */
static bool safe_id(const char *id)
{
	size_t n = strspn(id, "0123456789abcdefABCDEF");

	return n > 0 && n <= 128 && !id[n];
}

enum runtime_result docker_inspect(const char *socket, const char *scheme, const char *id, uint64_t timeout_ms,
				   struct container_meta **out)
{
	struct container_meta *m;
	json_t *j, *config, *state;
	const char *name, *sandbox;
	char path[256];
	enum runtime_result r;

	*out = NULL;
	if (!safe_id(id))
		return RT_ERROR;
	snprintf(path, sizeof(path), "/containers/%s/json", id);
	r = get_json(socket, path, timeout_ms, &j);
	if (r != RT_OK)
		return r;
	m = calloc(1, sizeof(*m));
	if (!m) {
		json_decref(j);
		return RT_ERROR;
	}
	m->scheme = scheme;
	config = json_object_get(j, "Config");
	state = json_object_get(j, "State");
	name = json_string_value(json_object_get(j, "Name"));
	if (name && *name == '/')
		name++;
	m->name = name && *name ? strdup(name) : NULL;
	m->image = json_strdup(config, "Image");
	m->image_id = json_strdup(j, "Image");
	m->start_time_ns = runtime_parse_rfc3339(json_string_value(json_object_get(state, "StartedAt")));
	if (labels_from(json_object_get(config, "Labels"), &m->labels, &m->nlabels)) {
		json_decref(j);
		container_meta_free(m);
		return RT_ERROR;
	}
	json_decref(j);
	runtime_meta_from_k8s_labels(m);
	/* kubelet through Docker (cri-dockerd): the pod's labels are its sandbox's */
	sandbox = meta_label(m, "io.kubernetes.sandbox.id");
	if (sandbox && safe_id(sandbox)) {
		json_t *sj;
		struct container_label *v = NULL;
		size_t n = 0;

		snprintf(path, sizeof(path), "/containers/%s/json", sandbox);
		if (get_json(socket, path, timeout_ms, &sj) == RT_OK) {
			if (!labels_from(json_object_get(json_object_get(sj, "Config"), "Labels"), &v, &n))
				meta_set_pod_labels(m, v, n);
			json_decref(sj);
		}
		for (size_t i = 0; i < n; i++) {
			free(v[i].key);
			free(v[i].value);
		}
		free(v);
	}
	*out = m;
	return RT_OK;
}
