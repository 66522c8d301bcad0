// SPDX-License-Identifier: Apache-2.0
#include "grpc/debug_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "util/escape.h"
#include "util/strbuf.h"

#define TYPE_PREFIX "type.googleapis.com/"

static const struct {
	const char *name;
	int level;
} level_names[] = {
	{ "trace", TETRAGON__LOG_LEVEL__LOG_LEVEL_TRACE }, { "debug", TETRAGON__LOG_LEVEL__LOG_LEVEL_DEBUG },
	{ "info", TETRAGON__LOG_LEVEL__LOG_LEVEL_INFO },   { "warn", TETRAGON__LOG_LEVEL__LOG_LEVEL_WARN },
	{ "warning", TETRAGON__LOG_LEVEL__LOG_LEVEL_WARN }, { "error", TETRAGON__LOG_LEVEL__LOG_LEVEL_ERROR },
	{ "fatal", TETRAGON__LOG_LEVEL__LOG_LEVEL_FATAL }, { "panic", TETRAGON__LOG_LEVEL__LOG_LEVEL_PANIC },
};

int debug_level_parse(const char *s)
{
	for (size_t i = 0; s && i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcasecmp(s, level_names[i].name))
			return level_names[i].level;
	return -EINVAL;
}

const char *debug_level_name(int level)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&tetragon__log_level__descriptor, level);

	return v ? v->name : NULL;
}

int debug_level_to_log(int level, enum log_level *out)
{
	switch (level) {
	case TETRAGON__LOG_LEVEL__LOG_LEVEL_TRACE:
	case TETRAGON__LOG_LEVEL__LOG_LEVEL_DEBUG:
		*out = LOG_DEBUG;
		return 0;
	case TETRAGON__LOG_LEVEL__LOG_LEVEL_INFO:
		*out = LOG_INFO;
		return 0;
	case TETRAGON__LOG_LEVEL__LOG_LEVEL_WARN:
		*out = LOG_WARN;
		return 0;
	case TETRAGON__LOG_LEVEL__LOG_LEVEL_ERROR:
	case TETRAGON__LOG_LEVEL__LOG_LEVEL_FATAL:
	case TETRAGON__LOG_LEVEL__LOG_LEVEL_PANIC:
		*out = LOG_ERROR;
		return 0;
	}
	return -EINVAL;
}

int debug_level_from_log(enum log_level l)
{
	switch (l) {
	case LOG_DEBUG: return TETRAGON__LOG_LEVEL__LOG_LEVEL_DEBUG;
	case LOG_INFO: return TETRAGON__LOG_LEVEL__LOG_LEVEL_INFO;
	case LOG_WARN: return TETRAGON__LOG_LEVEL__LOG_LEVEL_WARN;
	case LOG_ERROR: return TETRAGON__LOG_LEVEL__LOG_LEVEL_ERROR;
	}
	return TETRAGON__LOG_LEVEL__LOG_LEVEL_INFO;
}

/* ---- GetInfoResponse ---------------------------------------------------------------- */

/* m packed into an Any (type_url and value malloc'ed); -ENOMEM. */
static int any_pack(Google__Protobuf__Any *a, const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	google__protobuf__any__init(a);
	if (asprintf(&a->type_url, TYPE_PREFIX "%s", m->descriptor->name) < 0) {
		a->type_url = NULL;
		return -ENOMEM;
	}
	a->value.data = malloc(n ? n : 1);
	if (!a->value.data)
		return -ENOMEM;
	a->value.len = protobuf_c_message_pack(m, a->value.data);
	return 0;
}

static int conf_pack(Google__Protobuf__Any *a, const struct debug_conf *c)
{
	switch (c->kind) {
	case DEBUG_CONF_STRING: {
		Google__Protobuf__StringValue v = GOOGLE__PROTOBUF__STRING_VALUE__INIT;

		v.value = (char *)(c->s ? c->s : "");
		return any_pack(a, &v.base);
	}
	case DEBUG_CONF_INT: {
		Google__Protobuf__Int64Value v = GOOGLE__PROTOBUF__INT64_VALUE__INIT;

		v.value = c->i;
		return any_pack(a, &v.base);
	}
	case DEBUG_CONF_BOOL: {
		Google__Protobuf__BoolValue v = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;

		v.value = c->b;
		return any_pack(a, &v.base);
	}
	case DEBUG_CONF_LIST: {
		Google__Protobuf__ListValue l = GOOGLE__PROTOBUF__LIST_VALUE__INIT;
		Google__Protobuf__Value *v = calloc(c->nlist + 1, sizeof(*v));
		Google__Protobuf__Value **pv = calloc(c->nlist + 1, sizeof(*pv));
		int r = -ENOMEM;

		if (v && pv) {
			for (size_t i = 0; i < c->nlist; i++) {
				google__protobuf__value__init(&v[i]);
				v[i].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
				v[i].string_value = c->list[i];
				pv[i] = &v[i];
			}
			l.n_values = c->nlist;
			l.values = pv;
			r = any_pack(a, &l.base);
		}
		free(v);
		free(pv);
		return r;
	}
	}
	return -EINVAL;
}

struct rpc_blob *debug_info_pack(const char *name, const char *version, const char *const *probe_names,
				 const bool *probes, size_t nprobes, const struct debug_conf *conf, size_t nconf,
				 const char *commit, const char *time, const char *modified)
{
	Tetragon__GetInfoResponse r = TETRAGON__GET_INFO_RESPONSE__INIT;
	Tetragon__GetInfoResponse__BuildInfo b = TETRAGON__GET_INFO_RESPONSE__BUILD_INFO__INIT;
	Tetragon__GetInfoResponse__Probe *pr = calloc(nprobes + 1, sizeof(*pr)), **ppr = calloc(nprobes + 1, sizeof(*ppr));
	Google__Protobuf__BoolValue *pv = calloc(nprobes + 1, sizeof(*pv));
	Tetragon__GetInfoResponse__ConfVal *cv = calloc(nconf + 1, sizeof(*cv)), **pcv = calloc(nconf + 1, sizeof(*pcv));
	Google__Protobuf__Any *av = calloc(nconf + 1, sizeof(*av));
	struct rpc_blob *out = NULL;
	size_t i;
	int err = 0;

	if (!pr || !ppr || !pv || !cv || !pcv || !av)
		goto done;
	r.name = (char *)(name ? name : "");
	r.version = (char *)(version ? version : "");
	for (i = 0; i < nprobes; i++) {
		tetragon__get_info_response__probe__init(&pr[i]);
		google__protobuf__bool_value__init(&pv[i]);
		pv[i].value = probes[i];
		pr[i].name = (char *)probe_names[i];
		pr[i].enabled = &pv[i];
		ppr[i] = &pr[i];
	}
	r.n_probes = nprobes;
	r.probes = ppr;
	for (i = 0; i < nconf && !err; i++) {
		tetragon__get_info_response__conf_val__init(&cv[i]);
		cv[i].key = (char *)conf[i].key;
		err = conf_pack(&av[i], &conf[i]);
		cv[i].value = &av[i];
		pcv[i] = &cv[i];
	}
	if (err)
		goto done;
	r.n_conf = nconf;
	r.conf = pcv;
	b.commit = (char *)(commit ? commit : "");
	b.time = (char *)(time ? time : "");
	b.modified = (char *)(modified ? modified : "");
	r.build = &b;
	out = rpc_blob_pack(&r.base);
done:
	for (i = 0; av && i < nconf; i++) {
		free(av[i].type_url);
		free(av[i].value.data);
	}
	free(pr);
	free(ppr);
	free(pv);
	free(cv);
	free(pcv);
	free(av);
	return out;
}

/* s as a JSON string; the agent's bytes are not trusted to be UTF-8 (invalid ones escaped). */
static json_t *jstr(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *j;

	if (!s)
		s = "";
	j = json_string(s);
	if (j)
		return j;
	strbuf_add_escaped(&sb, s, strlen(s), 0);
	strbuf_addc(&sb, '\0');
	j = json_string(sb.oom ? "" : sb.buf);
	strbuf_free(&sb);
	return j;
}

/* An Any's value as JSON, the way upstream's tetragoninfo.Decode reads them. */
static json_t *conf_json(const Google__Protobuf__Any *a)
{
	static const ProtobufCMessageDescriptor *const known[] = {
		&google__protobuf__string_value__descriptor, &google__protobuf__int64_value__descriptor,
		&google__protobuf__bool_value__descriptor, &google__protobuf__list_value__descriptor,
	};
	const ProtobufCMessageDescriptor *d = NULL;
	ProtobufCMessage *m;
	const char *t;
	json_t *j = NULL;

	if (!a || !a->type_url)
		return json_string("failed to unmarshal value: no value");
	t = strrchr(a->type_url, '/');
	t = t ? t + 1 : a->type_url;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(t, known[i]->name))
			d = known[i];
	if (!d) {
		char buf[300];

		snprintf(buf, sizeof(buf), "unknown value type: %s", t);
		return json_string(buf);
	}
	m = protobuf_c_message_unpack(d, NULL, a->value.len, a->value.data);
	if (!m)
		return json_string("failed to unmarshal value");
	if (d == &google__protobuf__string_value__descriptor) {
		j = jstr(((Google__Protobuf__StringValue *)m)->value);
	} else if (d == &google__protobuf__int64_value__descriptor) {
		j = json_integer(((Google__Protobuf__Int64Value *)m)->value);
	} else if (d == &google__protobuf__bool_value__descriptor) {
		j = json_boolean(((Google__Protobuf__BoolValue *)m)->value);
	} else {
		const Google__Protobuf__ListValue *l = (const Google__Protobuf__ListValue *)m;

		j = json_array();
		for (size_t i = 0; j && i < l->n_values; i++) {
			const Google__Protobuf__Value *v = l->values[i];

			switch (v->kind_case) {
			case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE:
				json_array_append_new(j, jstr(v->string_value));
				break;
			case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
				json_array_append_new(j, json_real(v->number_value));
				break;
			case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE:
				json_array_append_new(j, json_boolean(v->bool_value));
				break;
			default:
				json_array_append_new(j, json_null());
			}
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return j;
}

struct kv {
	const char *k;
	size_t i;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* Add key=v to obj; keys sorted as Go's encoding/json sorts map keys. */
static void add_sorted(json_t *obj, size_t n, const char *(*key)(const void *, size_t), const void *arr,
		       json_t *(*val)(const void *, size_t))
{
	struct kv *v = calloc(n + 1, sizeof(*v));

	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		v[i].k = key(arr, i) ? key(arr, i) : "";
		v[i].i = i;
	}
	qsort(v, n, sizeof(*v), cmp_kv);
	for (size_t i = 0; i < n; i++) {
		json_t *k = jstr(v[i].k);

		if (k)
			json_object_set_new(obj, json_string_value(k), val(arr, v[i].i));
		json_decref(k);
	}
	free(v);
}

static const char *probe_key(const void *arr, size_t i)
{
	return ((Tetragon__GetInfoResponse__Probe *const *)arr)[i]->name;
}

static json_t *probe_val(const void *arr, size_t i)
{
	const Tetragon__GetInfoResponse__Probe *p = ((Tetragon__GetInfoResponse__Probe *const *)arr)[i];

	return json_boolean(p->enabled && p->enabled->value);
}

static const char *conf_key(const void *arr, size_t i)
{
	return ((Tetragon__GetInfoResponse__ConfVal *const *)arr)[i]->key;
}

static json_t *conf_val(const void *arr, size_t i)
{
	return conf_json(((Tetragon__GetInfoResponse__ConfVal *const *)arr)[i]->value);
}

json_t *debug_info_json(const Tetragon__GetInfoResponse *r)
{
	const Tetragon__GetInfoResponse__BuildInfo *b = r->build;
	json_t *j = json_object(), *probes = json_object(), *conf = json_object();

	if (!j || !probes || !conf) {
		json_decref(j);
		json_decref(probes);
		json_decref(conf);
		return NULL;
	}
	/* the agent's strings are not trusted to be UTF-8: json_string refuses those */
	json_object_set_new(j, "Name", jstr(r->name));
	json_object_set_new(j, "Version", jstr(r->version));
	add_sorted(probes, r->n_probes, probe_key, r->probes, probe_val);
	add_sorted(conf, r->n_conf, conf_key, r->conf, conf_val);
	json_object_set_new(j, "Probes", probes);
	json_object_set_new(j, "Conf", conf);
	json_object_set_new(j, "Build", json_pack("{s:o,s:o,s:o,s:o}", "GoVersion", jstr(b ? b->go_version : NULL),
						   "Commit", jstr(b ? b->commit : NULL), "Time", jstr(b ? b->time : NULL),
						   "Modified", jstr(b ? b->modified : NULL)));
	return j;
}
