// SPDX-License-Identifier: Apache-2.0
/* "tetra loglevel get|set LEVEL" (alias "log"): the agent's log level at run time (GetDebug/SetDebug). */
#include <stdio.h>
#include <string.h>

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "grpc/debug_api.h"
#include "tetragon/sensors.pb-c.h"

static const struct tetra_cmd loglevel_cmd, loglevel_get_cmd, loglevel_set_cmd;

#define LEVELS "trace|debug|info|warning|error|fatal|panic"

static void get_help(FILE *out)
{
	fprintf(out, "Print the agent's current log level (GetDebug), e.g.\n"
		     "\"Current log level: LOG_LEVEL_INFO\".\n\n"
		     "Options:\n" TETRA_CONN_HELP);
}

static void set_help(FILE *out)
{
	fprintf(out, "Change the agent's log level without restarting it (SetDebug; root, or the\n"
		     "--server-access-group, only). Allowed values are [" LEVELS "].\n"
		     "This agent logs trace as debug and fatal and panic as error; the level lasts\n"
		     "until the agent restarts (then --log-level applies again).\n\n"
		     "Examples:\n"
		     "  tetra loglevel set debug\n"
		     "  tetra loglevel set info\n\n"
		     "Options:\n" TETRA_CONN_HELP);
}

/* Connection flags and at most want positional arguments; 1 to run, 0 after help, -1 on errors. */
static int parse(const struct tetra_cmd *cmd, struct tetra_conn *conn, int argc, char **argv, const char **pos,
		 int want)
{
	const char *name = cmd == &loglevel_get_cmd ? "loglevel get" : "loglevel set";
	int i, r, n = 0;

	for (i = 1; i < argc; i++) {
		if (tetra_is_help(argv[i])) {
			tetra_usage(cmd, stdout);
			return 0;
		}
		r = tetra_conn_option(conn, argc, argv, &i, name);
		if (r < 0)
			return -1;
		if (r)
			continue;
		if (argv[i][0] != '-' && n < want) {
			pos[n++] = argv[i];
			continue;
		}
		fprintf(stderr, "tetra %s: unexpected argument \"%s\" (see tetra %s --help)\n", name, argv[i], name);
		return -1;
	}
	if (n < want) {
		fprintf(stderr, "usage: tetra loglevel set [" LEVELS "]\n");
		return -1;
	}
	return 1;
}

static int get_run(int argc, char **argv)
{
	Tetragon__GetDebugRequest req = TETRAGON__GET_DEBUG_REQUEST__INIT;
	struct tetra_conn conn = TETRA_CONN_INIT;
	const Tetragon__GetDebugResponse *resp;
	ProtobufCMessage *m;
	const char *name;
	int r = parse(&loglevel_get_cmd, &conn, argc, argv, NULL, 0);

	if (r <= 0)
		return r ? TETRA_EXIT_USAGE : TETRA_EXIT_OK;
	req.flag = TETRAGON__CONFIG_FLAG__CONFIG_FLAG_LOG_LEVEL;
	r = tetra_call(&conn, "loglevel get", "failed to get current Tetragon log level", "GetDebug", &req.base,
		       &tetragon__get_debug_response__descriptor, &m);
	if (r)
		return r;
	resp = (const Tetragon__GetDebugResponse *)m;
	name = resp->arg_case == TETRAGON__GET_DEBUG_RESPONSE__ARG_LEVEL ? debug_level_name(resp->level) : NULL;
	if (name)
		printf("Current log level: %s\n", name);
	else
		printf("Current log level: %d\n", resp->arg_case == TETRAGON__GET_DEBUG_RESPONSE__ARG_LEVEL ?
							    (int)resp->level : 0);
	protobuf_c_message_free_unpacked(m, NULL);
	return TETRA_EXIT_OK;
}

static int set_run(int argc, char **argv)
{
	Tetragon__SetDebugRequest req = TETRAGON__SET_DEBUG_REQUEST__INIT;
	struct tetra_conn conn = TETRA_CONN_INIT;
	const Tetragon__SetDebugResponse *resp;
	const char *pos[1] = { NULL }, *name;
	ProtobufCMessage *m;
	int level, r = parse(&loglevel_set_cmd, &conn, argc, argv, pos, 1);

	if (r <= 0)
		return r ? TETRA_EXIT_USAGE : TETRA_EXIT_OK;
	level = debug_level_parse(pos[0]);
	if (level < 0) {
		tetra_eprintf("tetra loglevel set: invalid log level: %s (want one of " LEVELS ")", pos[0]);
		return TETRA_EXIT_USAGE;
	}
	req.flag = TETRAGON__CONFIG_FLAG__CONFIG_FLAG_LOG_LEVEL;
	req.arg_case = TETRAGON__SET_DEBUG_REQUEST__ARG_LEVEL;
	req.level = level;
	r = tetra_call(&conn, "loglevel set", "failed to set log level", "SetDebug", &req.base,
		       &tetragon__set_debug_response__descriptor, &m);
	if (r)
		return r;
	resp = (const Tetragon__SetDebugResponse *)m;
	name = resp->arg_case == TETRAGON__SET_DEBUG_RESPONSE__ARG_LEVEL ? debug_level_name(resp->level) : NULL;
	printf("Log level set to: %s\n", name ? name : "?");
	protobuf_c_message_free_unpacked(m, NULL);
	return TETRA_EXIT_OK;
}

static const struct tetra_cmd loglevel_cmd = {
	.name = "loglevel",
	.alias = "log",
	.summary = "Get and dynamically change the agent's log level",
};
TETRA_COMMAND(loglevel_cmd)

static const struct tetra_cmd loglevel_get_cmd = {
	.parent = "loglevel",
	.name = "get",
	.args = "",
	.summary = "Print the current log level",
	.run = get_run,
	.help = get_help,
};
TETRA_COMMAND(loglevel_get_cmd)

static const struct tetra_cmd loglevel_set_cmd = {
	.parent = "loglevel",
	.name = "set",
	.args = "LEVEL",
	.summary = "Set the log level (" LEVELS ")",
	.run = set_run,
	.help = set_help,
};
TETRA_COMMAND(loglevel_set_cmd)
