// SPDX-License-Identifier: Apache-2.0
/*
 * "tetra sensors list|enable|disable|rm": upstream's deprecated sensor
 * commands. list prints ListSensors; the others send the RPCs, which the
 * agent, as upstream's, refuses ("EnableSensor is deprecated"): policies
 * are managed with "tetra tracingpolicy".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "tetragon/sensors.pb-c.h"

static const struct tetra_cmd sensors_cmd, sensors_list_cmd, sensors_enable_cmd, sensors_disable_cmd, sensors_rm_cmd;

static void deprecated(void)
{
	fputs("Command \"sensors\" is deprecated, please use the tracingpolicy command instead.\n", stderr);
}

static void sensors_help(FILE *out)
{
	fprintf(out, "Deprecated upstream: use \"tetra tracingpolicy\". The agent refuses enable, disable and\n"
		     "rm as upstream's does (UNKNOWN \"EnableSensor is deprecated\").\n\n"
		     "Options:\n" TETRA_CONN_HELP);
}

/* Connection flags and want positional arguments; 1 to run, 0 after help, -1 on errors. */
static int parse(const struct tetra_cmd *cmd, struct tetra_conn *conn, int argc, char **argv, const char **pos,
		 int want)
{
	char name[64];
	int i, r, n = 0;

	snprintf(name, sizeof(name), "sensors %s", cmd->name);
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
		fprintf(stderr, "tetra %s: accepts 1 arg(s), received 0\n", name);
		return -1;
	}
	return 1;
}

static int list_run(int argc, char **argv)
{
	Tetragon__ListSensorsRequest req = TETRAGON__LIST_SENSORS_REQUEST__INIT;
	struct tetra_conn conn = TETRA_CONN_INIT;
	const Tetragon__ListSensorsResponse *resp;
	ProtobufCMessage *m;
	int r;

	deprecated();
	r = parse(&sensors_list_cmd, &conn, argc, argv, NULL, 0);
	if (r <= 0)
		return r ? TETRA_EXIT_USAGE : TETRA_EXIT_OK;
	r = tetra_call(&conn, "sensors list", "failed to list sensors", "ListSensors", &req.base,
		       &tetragon__list_sensors_response__descriptor, &m);
	if (r)
		return r;
	resp = (const Tetragon__ListSensorsResponse *)m;
	for (size_t i = 0; i < resp->n_sensors; i++) {
		char *n = tetra_escape(resp->sensors[i]->name), *c = tetra_escape(resp->sensors[i]->collection);

		printf("%s %s %s\n", n ? n : "", resp->sensors[i]->enabled ? "(enabled)" : "(not enabled)", c ? c : "");
		free(n);
		free(c);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return TETRA_EXIT_OK;
}

/* enable, disable, rm: one request with the name, as upstream sends them. */
static int change(const struct tetra_cmd *cmd, int argc, char **argv)
{
	Tetragon__EnableSensorRequest en = TETRAGON__ENABLE_SENSOR_REQUEST__INIT;
	Tetragon__DisableSensorRequest dis = TETRAGON__DISABLE_SENSOR_REQUEST__INIT;
	Tetragon__RemoveSensorRequest rm = TETRAGON__REMOVE_SENSOR_REQUEST__INIT;
	struct tetra_conn conn = TETRA_CONN_INIT;
	const char *pos[1] = { NULL };
	ProtobufCMessage *m;
	char what[300], name[64];
	int r;

	deprecated();
	r = parse(cmd, &conn, argc, argv, pos, 1);
	if (r <= 0)
		return r ? TETRA_EXIT_USAGE : TETRA_EXIT_OK;
	snprintf(name, sizeof(name), "sensors %s", cmd->name);
	if (cmd == &sensors_enable_cmd) {
		en.name = (char *)pos[0];
		snprintf(what, sizeof(what), "failed to enable sensor %s", pos[0]);
		r = tetra_call(&conn, name, what, "EnableSensor", &en.base, &tetragon__enable_sensor_response__descriptor,
			       &m);
	} else if (cmd == &sensors_disable_cmd) {
		dis.name = (char *)pos[0];
		snprintf(what, sizeof(what), "failed to disable sensor %s", pos[0]);
		r = tetra_call(&conn, name, what, "DisableSensor", &dis.base,
			       &tetragon__disable_sensor_response__descriptor, &m);
	} else {
		rm.name = (char *)pos[0];
		r = tetra_call(&conn, name, "failed to remove sensor", "RemoveSensor", &rm.base,
			       &tetragon__remove_sensor_response__descriptor, &m);
	}
	if (r)
		return r;
	protobuf_c_message_free_unpacked(m, NULL);
	if (cmd != &sensors_rm_cmd) {
		char *e = tetra_escape(pos[0]);

		printf("sensor %s %s\n", e ? e : "", cmd == &sensors_enable_cmd ? "enabled" : "disabled");
		free(e);
	}
	return TETRA_EXIT_OK;
}

static int enable_run(int argc, char **argv)
{
	return change(&sensors_enable_cmd, argc, argv);
}

static int disable_run(int argc, char **argv)
{
	return change(&sensors_disable_cmd, argc, argv);
}

static int rm_run(int argc, char **argv)
{
	return change(&sensors_rm_cmd, argc, argv);
}

static const struct tetra_cmd sensors_cmd = {
	.name = "sensors",
	.summary = "Manage sensors (deprecated: use tracingpolicy)",
	.help = sensors_help,
};
TETRA_COMMAND(sensors_cmd)

static const struct tetra_cmd sensors_list_cmd = {
	.parent = "sensors", .name = "list", .args = "", .summary = "List available sensors",
	.run = list_run, .help = sensors_help,
};
TETRA_COMMAND(sensors_list_cmd)

static const struct tetra_cmd sensors_enable_cmd = {
	.parent = "sensors", .name = "enable", .args = "SENSOR", .summary = "Enable sensor (refused by the agent)",
	.run = enable_run, .help = sensors_help,
};
TETRA_COMMAND(sensors_enable_cmd)

static const struct tetra_cmd sensors_disable_cmd = {
	.parent = "sensors", .name = "disable", .args = "SENSOR", .summary = "Disable sensor (refused by the agent)",
	.run = disable_run, .help = sensors_help,
};
TETRA_COMMAND(sensors_disable_cmd)

static const struct tetra_cmd sensors_rm_cmd = {
	.parent = "sensors", .name = "rm", .args = "SENSOR", .summary = "Remove a sensor (refused by the agent)",
	.run = rm_run, .help = sensors_help,
};
TETRA_COMMAND(sensors_rm_cmd)
