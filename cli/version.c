// SPDX-License-Identifier: Apache-2.0
/* "tetra version [--server] [--build]" */
#include <stdio.h>
#include <string.h>
#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "tetragon/sensors.pb-c.h"

static const struct tetra_cmd version_cmd;

static void version_help(FILE *out)
{
	fprintf(out, "Print the version of tetra and, with --server, of the agent (GetVersion).\n\n"
		     "Examples:\n"
		     "  tetra version --server     # also ask the agent\n"
		     "  tetra version --build      # build information of the CLI\n\n"
		     "Options:\n"
		     "  -s, --server                connect and print the agent's version\n"
		     "  -b, --build                 print build information\n" TETRA_CONN_HELP);
}

static int version_run(int argc, char **argv)
{
	struct tetra_conn conn = TETRA_CONN_INIT;
	int i, r, server = 0, build = 0;

	for (i = 1; i < argc; i++) {
		if (tetra_is_help(argv[i])) {
			tetra_usage(&version_cmd, stdout);
			return TETRA_EXIT_OK;
		}
		if (tetra_flag(argv, i, "--server", "-s", &server) || tetra_flag(argv, i, "--build", "-b", &build))
			continue;
		r = tetra_conn_option(&conn, argc, argv, &i, "version");
		if (r < 0)
			return TETRA_EXIT_USAGE;
		if (r)
			continue;
		fprintf(stderr, "tetra version: unexpected argument \"%s\" (see tetra version --help)\n", argv[i]);
		return TETRA_EXIT_USAGE;
	}
	printf("CLI version: %s\n", TG_VERSION);
	if (server) {
		Tetragon__GetVersionRequest req = TETRAGON__GET_VERSION_REQUEST__INIT;
		ProtobufCMessage *m;

		fflush(stdout);
		r = tetra_call(&conn, "version", "failed to retrieve server version", "GetVersion", &req.base,
			       &tetragon__get_version_response__descriptor, &m);
		if (r)
			return r;
		printf("Server version: %s\n", ((Tetragon__GetVersionResponse *)m)->version);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	if (build)
		printf("Build: tetra-c %s, gRPC C-core %s, protobuf-c %s\n", TG_VERSION, grpc_version_string(),
		       protobuf_c_version());
	return TETRA_EXIT_OK;
}

static const struct tetra_cmd version_cmd = {
	.name = "version",
	.args = "[--server]",
	.summary = "Print the version of tetra and of the agent",
	.run = version_run,
	.help = version_help,
};
TETRA_COMMAND(version_cmd)
