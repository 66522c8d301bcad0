// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "grpc/h2_guard.h"

#define H2_HEADERS	0x1
#define H2_PUSH_PROMISE	0x5
#define H2_CONTINUATION	0x9
#define H2_END_HEADERS	0x4

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define PREFACE_LEN (sizeof(preface) - 1)

void h2_guard_init(struct h2_guard *g, uint32_t max_block)
{
	memset(g, 0, sizeof(*g));
	g->max_block = max_block ? max_block : H2_GUARD_DEFAULT_MAX_BLOCK;
}

static int frame_header(struct h2_guard *g)
{
	uint32_t len = (uint32_t)g->hdr[0] << 16 | (uint32_t)g->hdr[1] << 8 | g->hdr[2];
	uint8_t type = g->hdr[3], flags = g->hdr[4];

	g->frames++;
	g->left = len;
	if (type == H2_HEADERS || type == H2_PUSH_PROMISE) {
		g->block = len;
		g->in_block = !(flags & H2_END_HEADERS);
	} else if (type == H2_CONTINUATION && g->in_block) {
		g->block += len;
		g->in_block = !(flags & H2_END_HEADERS);
	} else {
		/* other frames inside a block are gRPC's protocol error to report */
		return 0;
	}
	if (g->block > g->max_block) {
		snprintf(g->why, sizeof(g->why), "a header block of more than %llu bytes (the limit is %u)",
			 (unsigned long long)g->block, g->max_block);
		return -EPROTO;
	}
	return 0;
}

int h2_guard_feed(struct h2_guard *g, const uint8_t *p, size_t n)
{
	while (n) {
		if (g->preface < PREFACE_LEN) {
			size_t k = PREFACE_LEN - g->preface;

			if (k > n)
				k = n;
			if (memcmp(p, preface + g->preface, k)) {
				snprintf(g->why, sizeof(g->why), "not an HTTP/2 client (no connection preface)");
				return -EPROTO;
			}
			g->preface += (unsigned)k;
			p += k;
			n -= k;
			continue;
		}
		if (g->left) {
			size_t k = g->left < n ? g->left : n;

			g->left -= (uint32_t)k;
			p += k;
			n -= k;
			continue;
		}
		g->hdr[g->have++] = *p++;
		n--;
		if (g->have == sizeof(g->hdr)) {
			g->have = 0;
			if (frame_header(g))
				return -EPROTO;
		}
	}
	return 0;
}
