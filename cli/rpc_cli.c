// SPDX-License-Identifier: Apache-2.0
#include "cli/rpc_cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "agent/options.h"
#include "cli/tetra.h"

struct tetra_conn tetra_conn_defaults = { .timeout_ms = 30000 };

/* Where Debian (and Go's crypto/x509 there) keeps the system's CAs. */
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define PEM_MAX (4 << 20)

int tetra_opt(int argc, char **argv, int *i, const char *cmd, const char *lng, const char *shrt, const char **val)
{
	const char *a = argv[*i];
	size_t l = strlen(lng);

	if (!strncmp(a, lng, l) && a[l] == '=') {
		*val = a + l + 1;
		return 1;
	}
	if (!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "tetra%s%s: %s needs a value\n", *cmd ? " " : "", cmd, a);
			return -1;
		}
		*val = argv[++*i];
		return 1;
	}
	/* -oVALUE */
	if (shrt && !strncmp(a, shrt, strlen(shrt)) && a[strlen(shrt)]) {
		*val = a + strlen(shrt);
		return 1;
	}
	return 0;
}

int tetra_flag(char **argv, int i, const char *lng, const char *shrt, int *on)
{
	const char *a = argv[i];
	size_t l = strlen(lng);

	if (!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) {
		*on = 1;
		return 1;
	}
	if (!strncmp(a, lng, l) && a[l] == '=') {
		*on = strcmp(a + l + 1, "false") && strcmp(a + l + 1, "0");
		return 1;
	}
	return 0;
}

int tetra_conn_option(struct tetra_conn *c, int argc, char **argv, int *i, const char *cmd)
{
	const char *v;
	uint64_t ms;
	int r;

	r = tetra_opt(argc, argv, i, cmd, "--server-address", NULL, &v);
	if (r) {
		if (r > 0)
			c->server_address = v;
		return r;
	}
	r = tetra_opt(argc, argv, i, cmd, "--timeout", NULL, &v);
	if (r > 0) {
		if (parse_duration_ms(v, &ms) || !ms || ms > 86400000ULL) {
			fprintf(stderr, "tetra%s%s: --timeout: invalid duration \"%s\" (e.g. 10s, 1m)\n", *cmd ? " " : "",
				cmd, v);
			return -1;
		}
		c->timeout_ms = (int)ms;
	}
	if (r)
		return r;
	/* upstream's TLS flags */
	if ((r = tetra_opt(argc, argv, i, cmd, "--tls-cert-file", NULL, &c->tls_cert_file)) ||
	    (r = tetra_opt(argc, argv, i, cmd, "--tls-key-file", NULL, &c->tls_key_file)) ||
	    (r = tetra_opt(argc, argv, i, cmd, "--tls-server-name", NULL, &c->tls_server_name)))
		return r;
	r = tetra_opt(argc, argv, i, cmd, "--tls-ca-cert-files", NULL, &v);
	if (r > 0) {
		/* a list, as upstream's: repeated or comma-separated */
		if (c->ntls_ca == TETRA_MAX_CA_FLAGS) {
			fprintf(stderr, "tetra%s%s: --tls-ca-cert-files given more than %d times; list the files "
				"comma-separated\n", *cmd ? " " : "", cmd, TETRA_MAX_CA_FLAGS);
			return -1;
		}
		c->tls_ca[c->ntls_ca++] = v;
	}
	return r;
}

int tetra_global_options(int argc, char **argv)
{
	int i, r;

	for (i = 1; i < argc && argv[i][0] == '-' && !tetra_is_help(argv[i]); i++) {
		r = tetra_conn_option(&tetra_conn_defaults, argc, argv, &i, "");
		if (r < 0)
			return -1;
		if (!r) {
			fprintf(stderr, "tetra: unknown option \"%s\" (see tetra --help)\n", argv[i]);
			return -1;
		}
	}
	return i;
}

static bool tls_asked(const struct tetra_conn *c)
{
	return (c->tls_cert_file && *c->tls_cert_file) || (c->tls_key_file && *c->tls_key_file) || c->ntls_ca ||
	       (c->tls_server_name && *c->tls_server_name);
}

/* Append the file's text to *buf (NUL-terminated); -1 after printing why. */
static int read_pem(const char *cmd, const char *flag, const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t n, start = *len;
	char *nb;

	if (!f) {
		tetra_eprintf("tetra %s: %s %s: %s", cmd, flag, path, strerror(errno));
		return -1;
	}
	for (;;) {
		nb = *len < PEM_MAX ? realloc(*buf, *len + 65536 + 1) : NULL;
		if (!nb) {
			tetra_eprintf("tetra %s: %s %s: %s", cmd, flag, path,
				      *len < PEM_MAX ? "out of memory" : "too large for a PEM file");
			fclose(f);
			return -1;
		}
		*buf = nb;
		n = fread(*buf + *len, 1, 65536, f);
		*len += n;
		(*buf)[*len] = '\0';
		if (n < 65536)
			break;
	}
	if (ferror(f)) {
		tetra_eprintf("tetra %s: %s %s: %s", cmd, flag, path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	if (!strstr(*buf + start, "-----BEGIN ")) {
		tetra_eprintf("tetra %s: %s %s: not a PEM file (no \"-----BEGIN\" line)", cmd, flag, path);
		return -1;
	}
	return 0;
}

int tetra_conn_open(struct tetra_conn *c, const char *cmd, struct rpc_client **out)
{
	const char *addr = tetra_conn_address(c);
	char *ca = NULL, *cert = NULL, *key = NULL, err[256];
	size_t calen = 0, certlen = 0, keylen = 0;
	struct rpc_client_tls tls = { 0 };
	int i, rc = TETRA_EXIT_FAIL;

	*out = NULL;
	if (!tls_asked(c)) {
		if (rpc_client_open(out, addr, NULL, err, sizeof(err))) {
			tetra_eprintf("tetra %s: %s", cmd, err);
			return TETRA_EXIT_FAIL;
		}
		return TETRA_EXIT_OK;
	}
	if (!strncmp(addr, "unix:", 5)) {
		fprintf(stderr, "tetra %s: the --tls-* flags are for a TCP address, and the agent's unix socket is never "
			"TLS: give --server-address host:port\n", cmd);
		return TETRA_EXIT_USAGE;
	}
	if (!c->tls_cert_file != !c->tls_key_file) {
		fprintf(stderr, "tetra %s: %s needs %s\n", cmd, c->tls_cert_file ? "--tls-cert-file" : "--tls-key-file",
			c->tls_cert_file ? "--tls-key-file" : "--tls-cert-file");
		return TETRA_EXIT_USAGE;
	}
	for (i = 0; i < c->ntls_ca; i++) {
		char *list = strdup(c->tls_ca[i]), *save = NULL, *p;

		if (!list)
			goto out;
		for (p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			while (*p == ' ')
				p++;
			if (*p && read_pem(cmd, "--tls-ca-cert-files", p, &ca, &calen)) {
				free(list);
				goto out;
			}
			/* files may not end in a newline: keep the next one's BEGIN on a line of its own */
			if (calen) {
				ca[calen++] = '\n';
				ca[calen] = '\0';
			}
		}
		free(list);
	}
	/* like Go's: without CAs of its own, the system's */
	if (!ca && !access(SYSTEM_CA_BUNDLE, R_OK) && read_pem(cmd, "(system CAs)", SYSTEM_CA_BUNDLE, &ca, &calen))
		goto out;
	if (c->tls_cert_file && (read_pem(cmd, "--tls-cert-file", c->tls_cert_file, &cert, &certlen) ||
				 read_pem(cmd, "--tls-key-file", c->tls_key_file, &key, &keylen)))
		goto out;
	tls.ca_pem = ca;
	tls.cert_pem = cert;
	tls.key_pem = key;
	tls.server_name = c->tls_server_name && *c->tls_server_name ? c->tls_server_name : NULL;
	if (rpc_client_open(out, addr, &tls, err, sizeof(err)))
		tetra_eprintf("tetra %s: %s", cmd, err);
	else
		rc = TETRA_EXIT_OK;
out:
	free(ca);
	free(cert);
	if (key)
		memset(key, 0, keylen);
	free(key);
	return rc;
}

/* The agent writes where it listens into its info file, like upstream's. */
static const char *info_file_address(char *buf, size_t len)
{
	json_error_t je;
	json_t *j, *a;
	const char *r = NULL;

	j = json_load_file(TETRA_INFO_FILE, 0, &je);
	if (!j)
		return NULL;
	a = json_object_get(j, "server_address");
	if (json_is_string(a) && json_string_length(a)) {
		snprintf(buf, len, "%s", json_string_value(a));
		r = buf;
	}
	json_decref(j);
	return r;
}

const char *tetra_conn_address(struct tetra_conn *c)
{
	if (c->resolved[0])
		return c->resolved;
	if (c->server_address && *c->server_address)
		snprintf(c->resolved, sizeof(c->resolved), "%s", c->server_address);
	else if (!info_file_address(c->resolved, sizeof(c->resolved)))
		snprintf(c->resolved, sizeof(c->resolved), "%s", TETRA_DEFAULT_SERVER);
	/* ":54321" means the local host, "host" the default port, as upstream */
	if (c->resolved[0] == ':') {
		char tmp[sizeof(c->resolved)];

		snprintf(tmp, sizeof(tmp), "localhost%s", c->resolved);
		snprintf(c->resolved, sizeof(c->resolved), "%s", tmp);
	} else if (strncmp(c->resolved, "unix:", 5) && !strchr(c->resolved, ':')) {
		strncat(c->resolved, ":54321", sizeof(c->resolved) - strlen(c->resolved) - 1);
	}
	return c->resolved;
}

void tetra_print_rpc_error(const char *cmd, const char *what, const char *addr, const struct rpc_status *st)
{
	/* the status message is the server's text: escaped */
	if (st->code == RPC_UNAVAILABLE || st->code == RPC_DEADLINE_EXCEEDED) {
		tetra_eprintf("tetra %s: cannot reach the tetragon agent at %s: %s (%s)", cmd, addr,
			      st->message[0] ? st->message : "unavailable", rpc_code_name(st->code));
		if (strstr(st->message, "andshake") || strstr(st->message, "SSL") ||
		    strstr(st->message, "peer certificate"))
			fputs("The TLS handshake failed: check --tls-ca-cert-files (the CA of the agent's certificate), "
			      "--tls-server-name, and --tls-cert-file/--tls-key-file when the agent asks for a client "
			      "certificate.\n", stderr);
		else
			fputs("Is the agent running? Set the address with --server-address (and the --tls-* flags when "
			      "it serves TLS).\n", stderr);
	} else {
		tetra_eprintf("tetra %s: %s: %s (%s)", cmd, what, st->message[0] ? st->message : "error",
			      rpc_code_name(st->code));
	}
}

int tetra_call(struct tetra_conn *c, const char *cmd, const char *what, const char *method,
	       const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp)
{
	const char *addr = tetra_conn_address(c);
	struct rpc_status st = { 0 };
	struct rpc_client *cl;
	char path[128];
	int r;

	*resp = NULL;
	r = tetra_conn_open(c, cmd, &cl);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s%s", TETRA_SERVICE, method);
	r = rpc_client_call(cl, path, req, resp_desc, resp, c->timeout_ms, &st);
	rpc_client_close(cl);
	if (r) {
		tetra_print_rpc_error(cmd, what, addr, &st);
		return TETRA_EXIT_FAIL;
	}
	return TETRA_EXIT_OK;
}
