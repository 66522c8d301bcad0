/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the tetra commands that talk to the agent share: the connection
 * flags (--server-address, --timeout, upstream's --tls-*), before or after
 * the command; finding the agent (flag, else the agent's
 * /var/run/tetragon/tetragon-info.json, else localhost:54321), calls with
 * clear errors, and option parsing helpers.
 */
#ifndef TG_CLI_RPC_CLI_H
#define TG_CLI_RPC_CLI_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#include "grpc/rpc.h"

#define TETRA_DEFAULT_SERVER "localhost:54321"
#define TETRA_INFO_FILE "/var/run/tetragon/tetragon-info.json"
#define TETRA_SERVICE "/tetragon.FineGuidanceSensors/"

#define TETRA_MAX_CA_FLAGS 16

struct tetra_conn {
	const char *server_address;	/* --server-address, or NULL */
	int timeout_ms;			/* --timeout for unary calls */
	char resolved[512];
	/* TLS: any of these turns it on */
	const char *tls_cert_file;	/* --tls-cert-file: client certificate (PEM) */
	const char *tls_key_file;	/* --tls-key-file: its key */
	const char *tls_ca[TETRA_MAX_CA_FLAGS];	/* --tls-ca-cert-files, each comma-separated */
	int ntls_ca;
	const char *tls_server_name;	/* --tls-server-name */
};

/* The flags given before the command (tetra_global_options); a command's own come on top. */
extern struct tetra_conn tetra_conn_defaults;
#define TETRA_CONN_INIT tetra_conn_defaults

/* Help lines for the connection flags. */
#define TETRA_CONN_HELP                                                                    \
	"      --server-address ADDR   the agent: host:port or unix:///path (default: the\n"    \
	"                              address in " TETRA_INFO_FILE ",\n"                    \
	"                              else " TETRA_DEFAULT_SERVER ")\n"                      \
	"      --timeout D             give up a call after D (default 30s)\n"              \
	"      --tls-ca-cert-files LIST  TLS: PEM CA files (comma-separated) that sign the\n"  \
	"                              agent's certificate (default: the system's CAs)\n"  \
	"      --tls-cert-file FILE    TLS client certificate (PEM), with --tls-key-file\n"  \
	"      --tls-key-file FILE     its private key (PEM)\n"                             \
	"      --tls-server-name NAME  the name the agent's certificate must carry (default:\n" \
	"                              the host of --server-address)\n"                   \
	"                              (any --tls-* flag turns TLS on; these flags may also\n" \
	"                              come before the command)\n"

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
 * Connection flags before the command ("tetra --server-address X status"),
 * into tetra_conn_defaults: the index of the command word, or -1 after
 * printing an error.
 */
int tetra_global_options(int argc, char **argv);
/*
 * A client for the agent at tetra_conn_address(c), with TLS when asked
 * (its files read here). TETRA_EXIT_OK, or TETRA_EXIT_FAIL/USAGE after
 * printing "tetra CMD: ..." naming the flag or file at fault.
 */
int tetra_conn_open(struct tetra_conn *c, const char *cmd, struct rpc_client **out);

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
