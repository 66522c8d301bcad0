/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uprobes' binaryDigests: the digests of a target file (sha1, sha256,
 * sha384, sha512 of its bytes; build-id from its .note.gnu.build-id) and
 * whether one of the policy's values names it.
 */
#ifndef TG_SENSORS_UPROBE_DIGEST_H
#define TG_SENSORS_UPROBE_DIGEST_H

#include <stddef.h>

#include "policy/policy.h"

/*
 * 1 when path's digest equals one of d[0..n), 0 when none does (why then
 * names the file's digests), negative errno when path cannot be read or has
 * no build-id asked for (why says so).
 */
int uprobe_digest_match(const char *path, const struct tp_digest *d, size_t n, char *why, size_t len);

#endif
