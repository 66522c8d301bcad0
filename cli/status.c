// SPDX-License-Identifier: Apache-2.0
/* "tetra status": the agent's health, as upstream prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "tetragon/sensors.pb-c.h"

static const struct tetra_cmd status_cmd;

static void status_help(FILE *out)
{
	fprintf(out, "Ask the agent for its health over gRPC (GetHealth) and print\n"
		     "\"Health Status: running\". Exit status 1 when the agent cannot be reached.\n\n"
		     "Options:\n" TETRA_CONN_HELP);
}

static int status_run(int argc, char **argv)
{
	Tetragon__GetHealthStatusRequest req = TETRAGON__GET_HEALTH_STATUS_REQUEST__INIT;
	struct tetra_conn conn = TETRA_CONN_INIT;
	Tetragon__GetHealthStatusResponse *resp;
	ProtobufCMessage *m;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (tetra_is_help(argv[i])) {
			tetra_usage(&status_cmd, stdout);
			return TETRA_EXIT_OK;
		}
		r = tetra_conn_option(&conn, argc, argv, &i, "status");
		if (r < 0)
			return TETRA_EXIT_USAGE;
		if (r)
			continue;
		fprintf(stderr, "tetra status: unexpected argument \"%s\" (see tetra status --help)\n", argv[i]);
		return TETRA_EXIT_USAGE;
	}
	r = tetra_call(&conn, "status", "failed to get health status", "GetHealth", &req.base,
		       &tetragon__get_health_status_response__descriptor, &m);
	if (r)
		return r;
	resp = (Tetragon__GetHealthStatusResponse *)m;
	if (!resp->n_health_status)
		printf("Health Status: no status available\n");
	else {
		/* the server's text, on a terminal */
		char *d = tetra_escape(resp->health_status[0]->details);

		printf("Health Status: %s\n", d ? d : "");
		free(d);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return TETRA_EXIT_OK;
}

static const struct tetra_cmd status_cmd = {
	.name = "status",
	.args = "",
	.summary = "Print the agent's health status",
	.run = status_run,
	.help = status_help,
};
TETRA_COMMAND(status_cmd)
