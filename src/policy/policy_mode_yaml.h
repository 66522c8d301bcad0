/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Set a TracingPolicy's mode in its YAML, as upstream's `tetra tracingpolicy
 * add --mode` and `modify --mode` do: spec.options loses every
 * "policy-mode" entry and gains {name: policy-mode, value: MODE} at its end
 * (spec.options is created when missing). The YAML is re-emitted through
 * libyaml, so comments are lost and formatting may change; values and
 * their styles are kept. The AddTracingPolicy request has no mode field,
 * and setting the mode in the YAML (rather than with a later
 * ConfigureTracingPolicy) means a monitor-mode Sigkill policy never runs
 * enforcing, not even for a moment.
 */
#ifndef TG_POLICY_MODE_YAML_H
#define TG_POLICY_MODE_YAML_H

#include <stddef.h>

/*
 * mode: "enforce", "monitor", or NULL/"" to re-emit unchanged. Every
 * document with a spec mapping is changed. Returns 0 with *out (malloc'd,
 * NUL-terminated, *outlen bytes), or -EINVAL with the reason in err
 * ("line:col: ..." for YAML errors), -ENOMEM.
 */
int policy_yaml_set_mode(const char *yaml, size_t len, const char *mode, char **out, size_t *outlen, char *err,
			 size_t errlen);

/*
 * Each non-empty document of a multi-document YAML, re-emitted alone (the
 * same way): *docs (malloc'd array of malloc'd strings), *ndocs. 0, or
 * -EINVAL with the reason in err, -ENOMEM.
 */
int policy_yaml_split(const char *yaml, size_t len, char ***docs, size_t *ndocs, char *err, size_t errlen);

#endif
