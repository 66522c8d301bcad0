/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Protobuf JSON -> protobuf-c messages, driven by descriptors: the reading
 * side of encode/protojson. It accepts what Go's protojson.Unmarshal accepts
 * for our messages (upstream parses --export-allowlist, --field-filters and
 * `tetra getevents` stdin with it):
 *   - field names in proto form ("binary_regex") or lowerCamel ("binaryRegex");
 *   - enums by name or number; 64-bit integers as numbers or strings;
 *   - well-known types: Timestamp (RFC 3339), Duration ("1.5s"), wrappers
 *     (bare values), FieldMask ("a.b,c", lowerCamel or snake_case paths),
 *     Empty; maps as objects; null leaves a field unset.
 * Unknown fields, wrong types and out-of-range numbers are errors naming the
 * field path. Any, Struct and Value are not supported.
 *
 * The result is allocated with malloc like protobuf_c_message_unpack's, so
 * protobuf_c_message_free_unpacked(msg, NULL) frees it.
 */
#ifndef TG_FILTERS_PBJSON_H
#define TG_FILTERS_PBJSON_H

#include <stddef.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/*
 * Decode one JSON object into a new message of type @d. Returns 0, -EINVAL
 * with a message in err ("event_set[1]: unknown enum value ...") or -ENOMEM.
 */
int pbjson_decode(const json_t *j, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
		  char *err, size_t errlen);
/* Flags for pbjson_decode_flags(). */
#define PBJSON_DISCARD_UNKNOWN 1	/* skip unknown fields (events from newer agents) */
int pbjson_decode_flags(const json_t *j, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out,
			unsigned flags, char *err, size_t errlen);

/*
 * Decode a stream of JSON objects (separated by whitespace/newlines, as Go's
 * json.Decoder reads them) into an array of messages. *out is NULL and *n 0
 * for empty or blank text. Errors name the object: "line 2: ...".
 */
int pbjson_decode_stream(const char *text, const ProtobufCMessageDescriptor *d, ProtobufCMessage ***out,
			 size_t *n, char *err, size_t errlen);
void pbjson_free_array(ProtobufCMessage **v, size_t n);

/* "fooBar" -> "foo_bar"; snake_case input is returned unchanged. Caller frees. */
char *pbjson_camel_to_snake(const char *s);

#endif
