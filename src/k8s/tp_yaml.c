// SPDX-License-Identifier: Apache-2.0
#include "k8s/tp_yaml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

static int out_write(void *data, unsigned char *buf, size_t size)
{
	struct strbuf *sb = data;

	strbuf_add(sb, buf, size);
	return !sb->oom;
}

static int scalar(yaml_emitter_t *em, const char *s, bool quoted)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), !quoted, 1,
					  quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE))
		return -ENOMEM;
	return yaml_emitter_emit(em, &ev) ? 0 : -EIO;
}

static int emit(yaml_emitter_t *em, json_t *v)
{
	yaml_event_t ev;
	char num[64];
	int err = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;

		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return -EIO;
		json_object_foreach(v, k, x) {
			if ((err = scalar(em, k, strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
							  "0123456789_-.") != strlen(k) || !*k)) ||
			    (err = emit(em, x)))
				return err;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev) ? 0 : -EIO;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;

		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return -EIO;
		json_array_foreach(v, i, x)
			if ((err = emit(em, x)))
				return err;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev) ? 0 : -EIO;
	}
	case JSON_STRING:
		return scalar(em, json_string_value(v), true);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return scalar(em, num, false);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		return scalar(em, num, false);
	case JSON_TRUE:
		return scalar(em, "true", false);
	case JSON_FALSE:
		return scalar(em, "false", false);
	case JSON_NULL:
		return scalar(em, "null", false);
	}
	return -EINVAL;
}

int k8s_tp_yaml(json_t *obj, struct strbuf *out, char *why, size_t whylen)
{
	json_t *doc, *md, *meta, *spec;
	const char *name, *ns;
	yaml_emitter_t em;
	yaml_event_t ev;
	int err = 0;

	md = json_object_get(obj, "metadata");
	spec = json_object_get(obj, "spec");
	name = json_string_value(json_object_get(md, "name"));
	ns = json_string_value(json_object_get(md, "namespace"));
	if (!json_is_string(json_object_get(obj, "apiVersion")) || !json_is_string(json_object_get(obj, "kind")) ||
	    !name) {
		snprintf(why, whylen, "the object has no apiVersion, kind or metadata.name");
		return -EINVAL;
	}
	doc = json_object();
	meta = json_object();
	if (!doc || !meta || json_object_set(doc, "apiVersion", json_object_get(obj, "apiVersion")) ||
	    json_object_set(doc, "kind", json_object_get(obj, "kind")) ||
	    json_object_set_new(meta, "name", json_string(name)) ||
	    (ns && json_object_set_new(meta, "namespace", json_string(ns))) ||
	    json_object_set_new(doc, "metadata", meta) || (spec && json_object_set(doc, "spec", spec))) {
		json_decref(doc);
		return -ENOMEM;
	}
	if (!yaml_emitter_initialize(&em)) {
		json_decref(doc);
		return -ENOMEM;
	}
	yaml_emitter_set_output(&em, out_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(&em, &ev))
		err = -EIO;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (!err && !yaml_emitter_emit(&em, &ev))
		err = -EIO;
	if (!err)
		err = emit(&em, doc);
	yaml_document_end_event_initialize(&ev, 1);
	if (!err && !yaml_emitter_emit(&em, &ev))
		err = -EIO;
	yaml_stream_end_event_initialize(&ev);
	if (!err && !yaml_emitter_emit(&em, &ev))
		err = -EIO;
	if (!err && !yaml_emitter_flush(&em))
		err = -EIO;
	if (err == -EIO)
		snprintf(why, whylen, "cannot write the policy as YAML: %s", em.problem ? em.problem : "out of memory");
	yaml_emitter_delete(&em);
	json_decref(doc);
	if (!err && out->oom)
		err = -ENOMEM;
	return err;
}
