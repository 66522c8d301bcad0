// SPDX-License-Identifier: Apache-2.0
#include "grpc/grpc_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <grpc/support/log.h>

#include "util/log.h"

static bool quiet_logs;	/* set only around calls on the starting thread */

static void route_log(gpr_log_func_args *a)
{
	if (a->severity == GPR_LOG_SEVERITY_ERROR && !quiet_logs)
		log_warn("grpc: %s (%s:%d)", a->message, a->file, a->line);
	else
		log_debug("grpc: %s (%s:%d)", a->message, a->file, a->line);
}

void tg_grpc_init(bool quiet)
{
	quiet_logs = quiet;
	/* getaddrinfo (nsswitch, /etc/hosts) rather than gRPC's c-ares resolver */
	setenv("GRPC_DNS_RESOLVER", "native", 0);
	gpr_set_log_function(route_log);
	grpc_init();
}

void tg_grpc_quiet(bool quiet)
{
	quiet_logs = quiet;
}

void tg_grpc_shutdown(void)
{
	grpc_shutdown_blocking();
}

static void blob_release(void *p)
{
	rpc_blob_unref(p);
}

grpc_byte_buffer *tg_grpc_blob_bb(struct rpc_blob *b)
{
	grpc_slice s = grpc_slice_new_with_user_data(b->data, b->len, blob_release, rpc_blob_ref(b));
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);

	grpc_slice_unref(s);
	return bb;
}

int tg_grpc_bb_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
	grpc_byte_buffer_reader r;
	grpc_slice s;

	*out = NULL;
	if (!grpc_byte_buffer_reader_init(&r, bb))
		return -EINVAL;
	s = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	*out = protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
	grpc_slice_unref(s);
	return *out ? 0 : -EINVAL;
}

void tg_grpc_status_from(struct rpc_status *st, grpc_status_code code, grpc_slice details)
{
	size_t n = GRPC_SLICE_LENGTH(details);

	st->code = (int)code;
	if (n >= sizeof(st->message))
		n = sizeof(st->message) - 1;
	memcpy(st->message, GRPC_SLICE_START_PTR(details), n);
	st->message[n] = '\0';
}
