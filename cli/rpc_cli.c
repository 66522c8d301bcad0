// SPDX-License-Identifier: Apache-2.0
#include "cli/rpc_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "agent/options.h"
#include "cli/tetra.h"

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
			fprintf(stderr, "tetra %s: %s needs a value\n", cmd, a);
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
			fprintf(stderr, "tetra %s: --timeout: invalid duration \"%s\" (e.g. 10s, 1m)\n", cmd, v);
			return -1;
		}
		c->timeout_ms = (int)ms;
	}
	return r;
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
		fputs("Is the agent running? Set the address with --server-address.\n", stderr);
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
	char err[256], path[128];
	int r;

	*resp = NULL;
	if (rpc_client_open(&cl, addr, err, sizeof(err))) {
		tetra_eprintf("tetra %s: %s", cmd, err);
		return TETRA_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s%s", TETRA_SERVICE, method);
	r = rpc_client_call(cl, path, req, resp_desc, resp, c->timeout_ms, &st);
	rpc_client_close(cl);
	if (r) {
		tetra_print_rpc_error(cmd, what, addr, &st);
		return TETRA_EXIT_FAIL;
	}
	return TETRA_EXIT_OK;
}
