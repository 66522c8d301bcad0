/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the tetra commands that talk to the agent share: the connection
 * flags (--server-address, --timeout), finding the agent (flag, else the
 * agent's /var/run/tetragon/tetragon-info.json, else localhost:54321),
 * calls with clear errors, and option parsing helpers.
 */
#ifndef TG_CLI_RPC_CLI_H
#define TG_CLI_RPC_CLI_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#include "grpc/rpc.h"

#define TETRA_DEFAULT_SERVER "localhost:54321"
#define TETRA_INFO_FILE "/var/run/tetragon/tetragon-info.json"
#define TETRA_SERVICE "/tetragon.FineGuidanceSensors/"

struct tetra_conn {
	const char *server_address;	/* --server-address, or NULL */
	int timeout_ms;			/* --timeout for unary calls */
	char resolved[512];
};

#define TETRA_CONN_INIT { NULL, 30000, "" }

/* Help lines for the connection flags. */
#define TETRA_CONN_HELP                                                                    \
	"      --server-address ADDR   the agent: host:port or unix:///path (default: the\n"    \
	"                              address in " TETRA_INFO_FILE ",\n"                    \
	"                              else " TETRA_DEFAULT_SERVER ")\n"                      \
	"      --timeout D             give up a call after D (default 30s)\n"

/*
 * Option helper: if argv[*i] is "--lng V", "--lng=V", "-s V" or "-sV" (shrt
 * may be NULL), set *val, advance *i past it and return 1. Returns 0 when
 * argv[*i] is another option, -1 after printing an error when the value is
 * missing.
 */
int tetra_opt(int argc, char **argv, int *i, const char *cmd, const char *lng, const char *shrt, const char **val);
/* Flag without value: "--lng" / "-s"; returns 1 when it matches. "--lng=false" turns it off. */
int tetra_flag(char **argv, int i, const char *lng, const char *shrt, int *on);

/* Handles the connection flags at argv[*i]; same returns as tetra_opt. */
int tetra_conn_option(struct tetra_conn *c, int argc, char **argv, int *i, const char *cmd);
/* The address that will be used (see above). */
const char *tetra_conn_address(struct tetra_conn *c);

/*
 * Unary call with the standard error messages: prints "tetra CMD: WHAT:
 * reason" (or that the agent at ADDR is unreachable) and returns
 * TETRA_EXIT_FAIL, or TETRA_EXIT_OK with *resp to free with
 * protobuf_c_message_free_unpacked.
 */
int tetra_call(struct tetra_conn *c, const char *cmd, const char *what, const char *method,
	       const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp);
void tetra_print_rpc_error(const char *cmd, const char *what, const char *addr, const struct rpc_status *st);

#endif
