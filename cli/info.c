// SPDX-License-Identifier: Apache-2.0
/* "tetra info": the agent's GetInfo, as upstream's tetra prints it (one JSON object). */
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "grpc/debug_api.h"
#include "tetragon/sensors.pb-c.h"

static const struct tetra_cmd info_cmd;

static void info_help(FILE *out)
{
	fprintf(out, "Ask the agent for its name, version, the kernel features it probed, its\n"
		     "configuration (every setting, under upstream's flag names) and build (GetInfo),\n"
		     "and print them as one JSON object:\n"
		     "  {\"Name\":...,\"Version\":...,\"Probes\":{...},\"Conf\":{...},\"Build\":{...}}\n\n"
		     "Options:\n" TETRA_CONN_HELP);
}

static int info_run(int argc, char **argv)
{
	Tetragon__GetInfoRequest req = TETRAGON__GET_INFO_REQUEST__INIT;
	struct tetra_conn conn = TETRA_CONN_INIT;
	ProtobufCMessage *m;
	json_t *j;
	char *text;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (tetra_is_help(argv[i])) {
			tetra_usage(&info_cmd, stdout);
			return TETRA_EXIT_OK;
		}
		r = tetra_conn_option(&conn, argc, argv, &i, "info");
		if (r < 0)
			return TETRA_EXIT_USAGE;
		if (r)
			continue;
		fprintf(stderr, "tetra info: unexpected argument \"%s\" (see tetra info --help)\n", argv[i]);
		return TETRA_EXIT_USAGE;
	}
	r = tetra_call(&conn, "info", "failed to retrieve info", "GetInfo", &req.base,
		       &tetragon__get_info_response__descriptor, &m);
	if (r)
		return r;
	j = debug_info_json((Tetragon__GetInfoResponse *)m);
	protobuf_c_message_free_unpacked(m, NULL);
	/* \uXXXX for everything but ASCII: no control character of the agent's reaches the terminal */
	text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	if (!text) {
		fprintf(stderr, "tetra info: out of memory\n");
		return TETRA_EXIT_FAIL;
	}
	printf("%s\n", text);
	free(text);
	return TETRA_EXIT_OK;
}

static const struct tetra_cmd info_cmd = {
	.name = "info",
	.args = "",
	.summary = "Print the agent's information: version, probed features, configuration",
	.run = info_run,
	.help = info_help,
};
TETRA_COMMAND(info_cmd)
