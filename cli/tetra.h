/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command registry of the tetra CLI. Each command lives in its own
 * cli/<name>.c and registers itself with TETRA_COMMAND(); subcommands of a
 * group (tracingpolicy validate, tracingpolicy add...) name their group in
 * .parent. cli/tetra.c only dispatches, so adding "getevents", "status" or
 * "tracingpolicy list" means adding one file.
 */
#ifndef TG_CLI_TETRA_H
#define TG_CLI_TETRA_H

#include <stdio.h>

/* Exit codes shared by every command. */
#define TETRA_EXIT_OK 0
#define TETRA_EXIT_FAIL 1	/* the command ran and found a problem */
#define TETRA_EXIT_USAGE 2	/* bad command line */

struct tetra_cmd {
	const char *parent;	/* group name ("tracingpolicy"), NULL for top level */
	const char *name;
	const char *alias;	/* short name ("tp"), or NULL */
	const char *args;	/* synopsis of the arguments ("FILE..."), or "" */
	const char *summary;	/* one line for help listings */
	/*
	 * argv[0] is the name the user typed. Groups set run to NULL and
	 * get their subcommands dispatched. Returns a TETRA_EXIT_* code.
	 */
	int (*run)(int argc, char **argv);
	/* detailed help (after the generated "Usage:" line), or NULL */
	void (*help)(FILE *out);
};

void tetra_register(const struct tetra_cmd *cmd);

/*
 * Print one message to stderr that may carry text from the agent or from a
 * file (gRPC status messages, policy diagnostics, event fields): control
 * characters escaped (util/escape.h), each line of a multi-line message on
 * its own line, continuation lines indented so none can pass for a line of
 * tetra's own. Ends with a newline.
 */
void tetra_eprint(const char *msg);
/* printf-style tetra_eprint; the whole result counts as untrusted. */
void tetra_eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* s escaped for one line of text output (tables, status); malloc'ed, NULL on ENOMEM. */
char *tetra_escape(const char *s);

#define TETRA_COMMAND(cmd)                                                     \
	static void __attribute__((constructor)) tetra_register_##cmd(void) \
	{                                                                      \
		tetra_register(&cmd);                                          \
	}

/* True for -h, --help and help: every level of the CLI accepts them. */
int tetra_is_help(const char *arg);
/* Print the usage of a command (with its subcommands when it is a group). */
void tetra_usage(const struct tetra_cmd *cmd, FILE *out);

#endif
