// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "grpc/tls_server.h"
#include "util/log.h"
#include "util/safe_path.h"

/* a CA bundle (the system's is ~200 KiB) fits many times over */
#define TLS_FILE_MAX (4 << 20)

static bool set(const char *s)
{
	return s && *s;
}

bool tls_server_configured(const struct rpc_tls_opts *o)
{
	return o && (set(o->cert_file) || set(o->key_file) || set(o->client_ca_files) || o->require_client_cert);
}

void tls_error_reason(SSL *ssl, char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	const char *why = e ? ERR_reason_error_string(e) : NULL;
	char tmp[256];

	if (e && !why) {
		ERR_error_string_n(e, tmp, sizeof(tmp));
		why = tmp;
	} else if (!e) {
		why = errno ? strerror(errno) : "the peer closed the connection";
	}
	if (v != X509_V_OK)
		snprintf(buf, len, "%s (%s)", why, X509_verify_cert_error_string(v));
	else
		snprintf(buf, len, "%s", why);
	ERR_clear_error();
}

/* The whole of a file the agent trusts, read through safe_path.h. */
static int read_trusted(const char *flag, const char *path, bool secret, char **out, size_t *outlen, char *err,
			size_t errlen)
{
	struct safe_open_opts so = { .oflags = O_RDONLY, .flags = SAFE_FOLLOW };
	char why[SAFE_WHY_MAX], *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, r = 0;

	fd = safe_open(path, &so, why, sizeof(why));
	if (fd < 0) {
		snprintf(err, errlen, "--%s: %s", flag, why);
		return fd;
	}
	if (fstat(fd, &st)) {
		r = -errno;
		snprintf(err, errlen, "--%s %s: %s", flag, path, strerror(errno));
		goto out;
	}
	/* whoever can read the key can pose as the agent */
	if (secret && (st.st_mode & 044)) {
		snprintf(err, errlen, "--%s %s: mode %04o lets %s read the private key; make it readable by root only "
			 "(chmod 600)", flag, path, (unsigned)(st.st_mode & 07777),
			 (st.st_mode & 044) == 044 ? "its group and others" : (st.st_mode & 040) ? "its group" : "others");
		r = -EPERM;
		goto out;
	}
	if (st.st_size > TLS_FILE_MAX) {
		snprintf(err, errlen, "--%s %s: %lld bytes, more than a PEM file of certificates needs (at most %d)", flag,
			 path, (long long)st.st_size, TLS_FILE_MAX);
		r = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		snprintf(err, errlen, "--%s %s: out of memory", flag, path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "--%s %s: %s", flag, path, n < 0 ? strerror(errno) : "it shrank while read");
			goto out;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	if (secret && buf)
		OPENSSL_cleanse(buf, (size_t)st.st_size);
	free(buf);
	close(fd);
	return r;
}

static void free_secret(char *buf, size_t len)
{
	if (buf)
		OPENSSL_cleanse(buf, len);
	free(buf);
}

/* gRPC clients insist on HTTP/2 by ALPN; one that offers only something else is refused. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
		       unsigned int inlen, void *arg)
{
	static const unsigned char h2[] = { 2, 'h', '2' };
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, h2, sizeof(h2), in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* No passphrase prompts: an encrypted key is refused. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The certificate chain: the server's own first, then intermediates. */
static int load_chain(SSL_CTX *ctx, const char *path, const char *pem, size_t len, char *err, size_t errlen)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	char why[256];
	X509 *x;
	int n = 0, r = 0;

	if (!b)
		return -ENOMEM;
	x = PEM_read_bio_X509_AUX(b, NULL, no_password, NULL);
	if (!x || SSL_CTX_use_certificate(ctx, x) != 1) {
		tls_error_reason(NULL, why, sizeof(why));
		snprintf(err, errlen, "--server-tls-cert-file %s: no usable PEM certificate: %s", path, why);
		X509_free(x);
		BIO_free(b);
		return -EINVAL;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		log_warn("gRPC: --server-tls-cert-file %s: the certificate has expired: clients will refuse it", path);
	X509_free(x);
	while ((x = PEM_read_bio_X509(b, NULL, no_password, NULL))) {
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			r = -EINVAL;
			break;
		}
		n++;
	}
	/* the end of the file reads as "no start line"; anything else is a broken certificate */
	if (!r && ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE && ERR_peek_last_error())
		r = -EINVAL;
	if (r) {
		tls_error_reason(NULL, why, sizeof(why));
		snprintf(err, errlen, "--server-tls-cert-file %s: chain certificate %d: %s", path, n + 2, why);
	}
	ERR_clear_error();
	BIO_free(b);
	return r;
}

static int load_key(SSL_CTX *ctx, const char *path, const char *cert, const char *pem, size_t len, char *err,
		    size_t errlen)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k;
	char why[256];

	if (!b)
		return -ENOMEM;
	k = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
	BIO_free(b);
	if (!k) {
		tls_error_reason(NULL, why, sizeof(why));
		snprintf(err, errlen, "--server-tls-key-file %s: no usable PEM private key (an encrypted one is not "
			 "supported): %s", path, why);
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey(ctx, k) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		tls_error_reason(NULL, why, sizeof(why));
		snprintf(err, errlen, "--server-tls-key-file %s: not the key of the certificate in %s: %s", path, cert,
			 why);
		EVP_PKEY_free(k);
		return -EINVAL;
	}
	EVP_PKEY_free(k);
	return 0;
}

/* Every certificate of one bundle becomes a trust anchor for client certificates. */
static int load_cas(SSL_CTX *ctx, const char *path, const char *pem, size_t len, char *err, size_t errlen)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	char why[256];
	X509 *x;
	int n = 0;

	if (!b)
		return -ENOMEM;
	while ((x = PEM_read_bio_X509(b, NULL, no_password, NULL))) {
		n++;
		if (X509_STORE_add_cert(store, x) != 1 || SSL_CTX_add_client_CA(ctx, x) != 1) {
			X509_free(x);
			break;
		}
		X509_free(x);
	}
	BIO_free(b);
	if (!n || ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		tls_error_reason(NULL, why, sizeof(why));
		snprintf(err, errlen, "--server-tls-client-ca-files %s: %s: %s", path,
			 n ? "a broken certificate" : "no PEM certificate", why);
		return -EINVAL;
	}
	ERR_clear_error();
	return 0;
}

int tls_server_check(const struct rpc_tls_opts *o, char *err, size_t errlen)
{
	if (set(o->cert_file) != set(o->key_file)) {
		snprintf(err, errlen, "--server-tls-%s is set without --server-tls-%s: TLS needs both",
			 set(o->cert_file) ? "cert-file" : "key-file", set(o->cert_file) ? "key-file" : "cert-file");
		return -EINVAL;
	}
	if (!set(o->cert_file)) {
		snprintf(err, errlen, "--server-tls-%s needs --server-tls-cert-file and --server-tls-key-file",
			 set(o->client_ca_files) ? "client-ca-files" : "require-client-cert");
		return -EINVAL;
	}
	if (o->require_client_cert && !set(o->client_ca_files)) {
		snprintf(err, errlen, "--server-tls-require-client-cert needs --server-tls-client-ca-files, the CAs that "
			 "sign the client certificates");
		return -EINVAL;
	}
	return 0;
}

int tls_server_ctx_new(const struct rpc_tls_opts *o, SSL_CTX **out, char *err, size_t errlen)
{
	static const unsigned char sid[] = "tetragon-api";
	char *pem = NULL, *list = NULL, *save = NULL, *path;
	size_t len = 0;
	SSL_CTX *ctx;
	int r;

	*out = NULL;
	r = tls_server_check(o, err, errlen);
	if (r)
		return r;
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "cannot set up TLS: %s", ERR_reason_error_string(ERR_get_error()));
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* TLS 1.2: forward secrecy and AEAD only, as HTTP/2 asks (RFC 9113 9.2.2) */
	SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
				 SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* no resumption: every connection shows its certificate again */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
	/* the relay retries a write from where it stands; idle connections give their buffers back */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			      SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);

	r = read_trusted("server-tls-cert-file", o->cert_file, false, &pem, &len, err, errlen);
	if (!r)
		r = load_chain(ctx, o->cert_file, pem, len, err, errlen);
	free(pem);
	pem = NULL;
	if (!r)
		r = read_trusted("server-tls-key-file", o->key_file, true, &pem, &len, err, errlen);
	if (!r) {
		r = load_key(ctx, o->key_file, o->cert_file, pem, len, err, errlen);
		free_secret(pem, len);
		pem = NULL;
	}
	if (!r && set(o->client_ca_files)) {
		list = strdup(o->client_ca_files);
		if (!list) {
			r = -ENOMEM;
			snprintf(err, errlen, "out of memory");
		}
		for (path = list ? strtok_r(list, ",", &save) : NULL; !r && path; path = strtok_r(NULL, ",", &save)) {
			while (*path == ' ')
				path++;
			if (!*path)
				continue;
			r = read_trusted("server-tls-client-ca-files", path, false, &pem, &len, err, errlen);
			if (!r)
				r = load_cas(ctx, path, pem, len, err, errlen);
			free(pem);
			pem = NULL;
		}
		free(list);
		/* a CA in the list is an anchor of its own, as Go's ClientCAs pool treats it */
		X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx), X509_V_FLAG_PARTIAL_CHAIN);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (o->require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
				   NULL);
	}
	if (r) {
		SSL_CTX_free(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

void tls_server_peer(SSL *ssl, struct tls_peer *p)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	X509_NAME *name;
	BIO *b;
	int n, i;

	memset(p, 0, sizeof(*p));
	if (!x || SSL_get_verify_result(ssl) != X509_V_OK)
		return;
	name = X509_get_subject_name(x);
	n = i2d_X509_NAME(name, &der);
	if (n <= 0)
		return;
	SHA256(der, (size_t)n, md);
	OPENSSL_free(der);
	n = snprintf(p->key, sizeof(p->key), "x509:");
	for (i = 0; i < 20; i++)
		n += snprintf(p->key + n, sizeof(p->key) - (size_t)n, "%02x", md[i]);
	b = BIO_new(BIO_s_mem());
	if (b && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(b, p->subject, sizeof(p->subject) - 1);
		p->subject[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
	if (!p->subject[0])
		snprintf(p->subject, sizeof(p->subject), "(empty subject)");
	p->verified = true;
}
