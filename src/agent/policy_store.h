/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --persist-grpc-policies: the policies added over gRPC, saved so that the
 * next agent restores them with their mode and enabled state. Upstream's
 * store: one file per policy in --persist-grpc-policies-dir, named
 * <name>:<namespace>:<domain>.json, holding {"yaml": "...", "enabled": bool}
 * (the mode is in the YAML's spec.options). The directory is created mode
 * 0700; files are written atomically (a temporary file renamed over the
 * record), mode 0600, through util/safe_path.h's rules (root's, not
 * writable by others, no symlinks, one link).
 *
 * Runs on the agent's event loop (with the policy engine): not thread-safe.
 */
#ifndef TG_AGENT_POLICY_STORE_H
#define TG_AGENT_POLICY_STORE_H

#include <stdbool.h>
#include <stddef.h>

#define POLICY_STORE_DEFAULT_DIR "/var/run/tetragon/grpc-policies"
#define POLICY_STORE_MAX_RECORD (16u << 20)	/* bytes of one record file, as the gRPC message bound */

struct policy_store;
struct policy_engine;

/* Creates the directory when missing. -errno with the reason in why. */
int policy_store_open(struct policy_store **ret, const char *dir, char *why, size_t whylen);
void policy_store_close(struct policy_store *s);

/*
 * Add every record's policy to e (disabled ones checked but not attached).
 * A record that cannot be read, decoded or loaded is logged as an error
 * naming its file and skipped (the file is left for the administrator);
 * the agent keeps running. Returns the policies restored.
 */
size_t policy_store_restore(struct policy_store *s, struct policy_engine *e);

/* Write (or replace) the record of (name, ns, domain). -errno with why (the file named). */
int policy_store_put(struct policy_store *s, const char *name, const char *ns, const char *domain, const char *yaml,
		     bool enabled, char *why, size_t whylen);
/* The record's YAML and state: 0, or -ENOENT. *yaml stays valid until the next put/delete. */
int policy_store_get(struct policy_store *s, const char *name, const char *ns, const char *domain,
		     const char **yaml, bool *enabled);
/* Remove the record: 0, -ENOENT (none), or -errno with why. */
int policy_store_delete(struct policy_store *s, const char *name, const char *ns, const char *domain, char *why,
			size_t whylen);
/* The record's file name; -EINVAL (with why) when (name, ns, domain) cannot name a file. */
int policy_store_filename(const char *name, const char *ns, const char *domain, char *buf, size_t len, char *why,
			  size_t whylen);

#endif
