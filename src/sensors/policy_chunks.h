/* SPDX-License-Identifier: Apache-2.0 */
/*
 * maxData arguments (abi/msg_generic.h GT_ARGF_MAX_DATA): the chunks
 * (MSG_OP_DATA records) a hook posts ahead of its record, kept per record
 * and argument until that record comes and joined into the argument's
 * bytes. Memory is bounded: CHUNKS_PENDING arguments wait at most, the
 * least recently fed is dropped for a new one. Nothing is lost silently:
 * the counters are upstream's tetragon_data_events_total.
 */
#ifndef TG_SENSORS_POLICY_CHUNKS_H
#define TG_SENSORS_POLICY_CHUNKS_H

#include <stddef.h>
#include <stdint.h>

#include "abi/msg_generic.h"

#define CHUNKS_PENDING 16

struct policy_data_stats {
	uint64_t received;	/* chunk records */
	uint64_t added;		/* first chunks of an argument */
	uint64_t appended;	/* later ones */
	uint64_t matched;	/* arguments joined whole */
	/*
	 * arguments short of chunks the kernel posted: their record reported
	 * them truncated, or (chunks whose record never came, or dropped for
	 * room) were thrown away
	 */
	uint64_t not_matched;
	uint64_t bad;		/* malformed chunk records */
};

struct policy_chunks;

struct policy_chunks *policy_chunks_new(void);
void policy_chunks_free(struct policy_chunks *c);
/* A MSG_OP_DATA record of len bytes (any bytes: it is checked). */
void policy_chunks_add(struct policy_chunks *c, const void *rec, size_t len);
/*
 * Argument slot of record m, whose own first bytes are first[0..flen):
 * when m says chunks were posted for it, the argument's bytes joined
 * (valid until the next call for the same slot) with their count in
 * *out_len; NULL when it has none (the record's bytes are the argument's).
 */
const uint8_t *policy_chunks_join(struct policy_chunks *c, const struct msg_generic *m, size_t slot,
				  const void *first, size_t flen, size_t *out_len);
void policy_chunks_stats(const struct policy_chunks *c, struct policy_data_stats *st);

#endif
