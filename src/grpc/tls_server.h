/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TLS on the API's TCP listener (upstream's --server-tls-* flags). The gate
 * (conn_gate.c) terminates TLS in its relay, so gRPC still gets a plain
 * socketpair (Debian's gRPC 1.51 serves only insecure credentials on a
 * handed-over descriptor) and h2_guard still sees the client's HTTP/2
 * bytes. This file makes the OpenSSL context from the flags' files and says
 * who a finished handshake's client certificate names.
 */
#ifndef TG_GRPC_TLS_SERVER_H
#define TG_GRPC_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/ssl.h>

#include "grpc/rpc.h"

/* A handshake not finished by then is closed: half-open ones must not hold slots. */
#define TLS_HANDSHAKE_TIMEOUT_MS 10000

/* True when any of the flags is set (they must then make sense together). */
bool tls_server_configured(const struct rpc_tls_opts *o);

/* The flags hold together (upstream's rules): 0, or -EINVAL with err saying what is missing. */
int tls_server_check(const struct rpc_tls_opts *o, char *err, size_t errlen);

/*
 * The context for o: TLS 1.2 and later, ALPN "h2", the certificate chain and
 * key, and with client CAs the verification of client certificates (required
 * with require_client_cert; without it a client may present none). Files are
 * read through util/safe_path.h: root's, not writable by others, and the key
 * not readable by them either. 0, or -errno with err naming the flag, the
 * file and OpenSSL's reason.
 */
int tls_server_ctx_new(const struct rpc_tls_opts *o, SSL_CTX **out, char *err, size_t errlen);

/* Who a client certificate that verified against the client CAs names. */
struct tls_peer {
	bool verified;		/* false: no certificate */
	char subject[160];	/* RFC 2253, for messages (the log escapes it) */
	char key[48];		/* "x509:" + SHA-256 of the DER subject: the per-client bound's key */
};
void tls_server_peer(SSL *ssl, struct tls_peer *p);

/* OpenSSL's reason for the last failure on this thread (and the queue cleared). */
void tls_error_reason(SSL *ssl, char *buf, size_t len);

#endif
