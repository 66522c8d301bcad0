/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A TracingPolicy custom resource (JSON from the API server) as the policy
 * YAML the engine reads: apiVersion, kind, metadata (name and namespace
 * only) and spec, every string double-quoted so none changes type.
 */
#ifndef TG_K8S_TP_YAML_H
#define TG_K8S_TP_YAML_H

#include <jansson.h>

#include "util/strbuf.h"

/* 0, or -EINVAL (why: what the object lacks) / -ENOMEM. */
int k8s_tp_yaml(json_t *obj, struct strbuf *out, char *why, size_t whylen);

#endif
