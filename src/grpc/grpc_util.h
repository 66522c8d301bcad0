/* SPDX-License-Identifier: Apache-2.0 */
/* Private helpers shared by the gRPC C-core server and client (not part of rpc.h). */
#ifndef TG_GRPC_UTIL_H
#define TG_GRPC_UTIL_H

#include <stdbool.h>
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>

#include "grpc/rpc.h"

/* grpc_init with gRPC's own logs routed to util/log (errors as warnings unless quiet). */
void tg_grpc_init(bool quiet);
void tg_grpc_shutdown(void);
/* While set, gRPC's errors go to debug (we report the failure ourselves). */
void tg_grpc_quiet(bool quiet);

/* A byte buffer holding a reference on b (released when gRPC is done). */
grpc_byte_buffer *tg_grpc_blob_bb(struct rpc_blob *b);
/* Unpack a received message; -EINVAL when it does not parse, -ENOMEM. */
int tg_grpc_bb_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out);
/* Copy a slice into st->message. */
void tg_grpc_status_from(struct rpc_status *st, grpc_status_code code, grpc_slice details);

#endif
