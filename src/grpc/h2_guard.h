/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Limits on what an API client may send, checked on the bytes before gRPC
 * reads them. gRPC 1.51 (Debian 12) keeps every header of a header block
 * that never ends (HEADERS followed by endless CONTINUATION frames): 300 MB
 * of them cost the agent 600 MB, never given back. This follows the HTTP/2
 * framing of the client's stream (the preface, then 9-byte frame headers)
 * and refuses a header block larger than a bound, so a connection can hold
 * only that much undecoded metadata.
 */
#ifndef TG_GRPC_H2_GUARD_H
#define TG_GRPC_H2_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* gRPC's own default metadata limit is 8 KiB; real clients send far less. */
#define H2_GUARD_DEFAULT_MAX_BLOCK (64 * 1024)

struct h2_guard {
	uint32_t max_block;	/* bytes of one header block, all its frames */
	unsigned preface;	/* bytes of the client preface seen */
	uint8_t hdr[9];		/* the frame header being read */
	unsigned have;
	uint32_t left;		/* payload bytes of the current frame not yet seen */
	bool in_block;		/* a HEADERS/PUSH_PROMISE without END_HEADERS is open */
	uint64_t block;		/* its bytes so far */
	uint64_t frames;
	char why[128];		/* set when feeding fails */
};

void h2_guard_init(struct h2_guard *g, uint32_t max_block);
/*
 * Account for n more bytes from the client. 0, or -EPROTO when the client
 * broke a limit or is not speaking HTTP/2 (why says which).
 */
int h2_guard_feed(struct h2_guard *g, const uint8_t *p, size_t n);

#endif
