// SPDX-License-Identifier: Apache-2.0
/* tetra: command line client. This file only finds and runs commands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "util/escape.h"
#include "util/strbuf.h"

#define MAX_COMMANDS 64

static const struct tetra_cmd *commands[MAX_COMMANDS];
static size_t ncommands;

void tetra_register(const struct tetra_cmd *cmd)
{
	if (ncommands == MAX_COMMANDS) {
		fprintf(stderr, "tetra: too many commands registered, raise MAX_COMMANDS\n");
		abort();
	}
	commands[ncommands++] = cmd;
}

void tetra_eprint(const char *msg)
{
	esc_fputs_lines(msg, stderr);
	fputc('\n', stderr);
}

void tetra_eprintf(const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("tetra: out of memory\n", stderr);
		return;
	}
	tetra_eprint(msg);
	free(msg);
}

char *tetra_escape(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_add_escaped(&sb, s ? s : "", s ? strlen(s) : 0, 0);
	strbuf_addc(&sb, '\0');
	if (sb.oom) {
		strbuf_free(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

int tetra_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help") || !strcmp(arg, "help");
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct tetra_cmd *const *)a)->name, (*(const struct tetra_cmd *const *)b)->name);
}

static int same_parent(const struct tetra_cmd *c, const char *parent)
{
	return parent ? c->parent && !strcmp(c->parent, parent) : !c->parent;
}

static const struct tetra_cmd *find(const char *parent, const char *name)
{
	size_t i;

	for (i = 0; i < ncommands; i++) {
		const struct tetra_cmd *c = commands[i];

		if (same_parent(c, parent) && (!strcmp(c->name, name) || (c->alias && !strcmp(c->alias, name))))
			return c;
	}
	return NULL;
}

static void list_commands(const char *parent, FILE *out)
{
	size_t i;

	for (i = 0; i < ncommands; i++) {
		const struct tetra_cmd *c = commands[i];
		char name[96];

		if (!same_parent(c, parent))
			continue;
		snprintf(name, sizeof(name), "%s%s%s%s%s", c->name, c->alias ? ", " : "", c->alias ? c->alias : "",
			 c->args && c->args[0] ? " " : "", c->args ? c->args : "");
		fprintf(out, "  %-26s %s\n", name, c->summary);
	}
}

void tetra_usage(const struct tetra_cmd *cmd, FILE *out)
{
	const char *parent = cmd->parent;

	if (cmd->run)
		fprintf(out, "Usage: tetra %s%s%s%s%s\n", parent ? parent : "", parent ? " " : "", cmd->name,
			cmd->args && cmd->args[0] ? " " : "", cmd->args ? cmd->args : "");
	else
		fprintf(out, "Usage: tetra %s COMMAND [ARGS...]\n", cmd->name);
	fprintf(out, "\n%s\n", cmd->summary);
	if (cmd->alias)
		fprintf(out, "Alias: %s\n", cmd->alias);
	if (cmd->help) {
		fputc('\n', out);
		cmd->help(out);
	}
	if (!cmd->run) {
		fprintf(out, "\nCommands:\n");
		list_commands(cmd->name, out);
	}
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: tetra COMMAND [ARGS...]\n\n"
		     "Client for the tetragon agent.\n\n"
		     "Commands:\n");
	list_commands(NULL, out);
	fprintf(out, "  %-26s %s\n", "help [COMMAND...]", "Show help for tetra or for a command");
	fprintf(out, "\nThe connection flags (--server-address, --timeout, --tls-ca-cert-files, --tls-cert-file,\n"
		     "--tls-key-file, --tls-server-name) may come before the command: tetra --server-address\n"
		     "HOST:PORT --tls-ca-cert-files ca.crt status. See tetra status --help.\n");
	fprintf(out, "\nExit status: 0 on success, 1 when the command failed, 2 on usage errors.\n");
}

/* Resolve "tp validate" style word lists to a command; NULL after an error message. */
static const struct tetra_cmd *lookup_path(int argc, char **argv)
{
	const struct tetra_cmd *cmd = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		const struct tetra_cmd *next = find(cmd ? cmd->name : NULL, argv[i]);

		if (!next) {
			fprintf(stderr, "tetra: unknown command \"%s\" (see tetra %s%s--help)\n", argv[i],
				cmd ? cmd->name : "", cmd ? " " : "");
			return NULL;
		}
		cmd = next;
	}
	return cmd;
}

/* Run cmd with argv[0] = its name; groups dispatch to their subcommands. */
static int run(const struct tetra_cmd *cmd, int argc, char **argv)
{
	const struct tetra_cmd *sub;

	while (!cmd->run) {
		if (argc < 2) {
			tetra_usage(cmd, stderr);
			return TETRA_EXIT_USAGE;
		}
		if (tetra_is_help(argv[1])) {
			if (argc > 2) {
				sub = lookup_path(argc - 2, argv + 2);
				if (!sub)
					return TETRA_EXIT_USAGE;
				/* "tetra tp help validate": names are relative to the group */
				if (!sub->parent || strcmp(sub->parent, cmd->name)) {
					sub = find(cmd->name, argv[2]);
					if (!sub) {
						fprintf(stderr, "tetra: unknown command \"%s\"\n", argv[2]);
						return TETRA_EXIT_USAGE;
					}
				}
				tetra_usage(sub, stdout);
			} else {
				tetra_usage(cmd, stdout);
			}
			return TETRA_EXIT_OK;
		}
		sub = find(cmd->name, argv[1]);
		if (!sub) {
			fprintf(stderr, "tetra %s: unknown command \"%s\" (see tetra %s --help)\n", cmd->name, argv[1],
				cmd->name);
			return TETRA_EXIT_USAGE;
		}
		cmd = sub;
		argc--;
		argv++;
	}
	return cmd->run(argc, argv);
}

int main(int argc, char **argv)
{
	const struct tetra_cmd *cmd;
	int first;

	qsort(commands, ncommands, sizeof(commands[0]), by_name);
	/* upstream's connection flags are global: they may come first */
	first = tetra_global_options(argc, argv);
	if (first < 0)
		return TETRA_EXIT_USAGE;
	if (first > 1) {
		argv[first - 1] = argv[0];
		argv += first - 1;
		argc -= first - 1;
	}
	if (argc < 2) {
		usage(stderr);
		return TETRA_EXIT_USAGE;
	}
	if (tetra_is_help(argv[1])) {
		if (argc == 2) {
			usage(stdout);
			return TETRA_EXIT_OK;
		}
		cmd = lookup_path(argc - 2, argv + 2);
		if (!cmd)
			return TETRA_EXIT_USAGE;
		tetra_usage(cmd, stdout);
		return TETRA_EXIT_OK;
	}
	cmd = find(NULL, argv[1]);
	if (!cmd) {
		fprintf(stderr, "tetra: unknown command \"%s\" (see tetra --help)\n", argv[1]);
		return TETRA_EXIT_USAGE;
	}
	return run(cmd, argc - 1, argv + 1);
}
