/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protobuf JSON encoding of protobuf-c messages, driven only by their
 * descriptors. Output matches Go's protojson.MarshalOptions{UseProtoNames:
 * true}.Marshal (what upstream writes to the JSON export and
 * `tetra getevents -o json`), compact form, with these deliberate deviations
 * where protojson would fail instead:
 *   - invalid UTF-8 in strings: each run of bad bytes becomes U+FFFD (the
 *     same as Go's strings.ToValidUTF8, which upstream applies to BPF data);
 *   - Timestamp/Duration out of range: clamped to the representable range;
 *   - Any: written as {"@type":"<type_url>"} (no type registry here);
 *   - FieldMask paths are camel-cased without validation.
 * Struct/Value/ListValue get no special mapping.
 */
#ifndef TG_ENCODE_PROTOJSON_H
#define TG_ENCODE_PROTOJSON_H

#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#include "util/strbuf.h"

/*
 * Append msg as one compact JSON value (no whitespace, no newline). On error
 * out is restored to its previous length. Returns 0, -EINVAL (NULL or
 * descriptor-less message), -ELOOP (nesting deeper than 256, e.g. a cycle)
 * or -ENOMEM.
 */
int protojson_encode(struct strbuf *out, const ProtobufCMessage *msg);

/*
 * A message's encoding kept for reuse: the process and parent blocks of a
 * process repeat, identical, in every event that names it.
 */
struct protojson_fragment {
	char *json;	/* NULL until first encoded */
	size_t len;
};
/* The fragment slot of m, or NULL to encode m as usual. */
typedef struct protojson_fragment *(*protojson_fragment_fn)(const ProtobufCMessage *m);

/*
 * protojson_encode(), asking fn for every nested message: a slot's cached
 * text is copied, an empty slot is filled first. Same output either way.
 */
int protojson_encode_cached(struct strbuf *out, const ProtobufCMessage *msg, protojson_fragment_fn fn);
void protojson_fragment_release(struct protojson_fragment *f);

/*
 * protoc-c sorts descriptor fields by number; protojson emits fields in
 * .proto declaration order. A table entry gives, for one message, the
 * indices into descriptor->fields in declaration order. Tables are generated
 * at build time by src/encode/field_order.awk and end with a zeroed entry.
 * The tetragon API table is built in; messages not listed use number order.
 */
struct protojson_field_order {
	const char *message;	/* full name, e.g. "tetragon.GetEventsResponse" */
	unsigned n_fields;	/* must equal the descriptor's n_fields to apply */
	const uint16_t *index;
};

/*
 * Add another table (e.g. for test protos). Not thread-safe: call before
 * encoding starts. Returns 0 or -ENOSPC.
 */
int protojson_add_field_order(const struct protojson_field_order *table);

#endif
