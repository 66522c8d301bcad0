// SPDX-License-Identifier: Apache-2.0
/* "tetra tracingpolicy validate FILE...": offline policy check, no agent needed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/tetra.h"
#include "policy/policy.h"
#include "util/strbuf.h"

static const struct tetra_cmd tp_validate_cmd;

static void validate_help(FILE *out)
{
	fprintf(out, "Parse and validate TracingPolicy / TracingPolicyNamespaced YAML files the way\n"
		     "the agent would load them, without contacting it. Every document of a\n"
		     "multi-document file (separated by ---) must be a policy. \"-\" reads stdin.\n\n"
		     "Besides upstream's schema and limits, this applies what this agent refuses\n"
		     "without asking the kernel: workload scoping it cannot apply (matchWorkloads,\n"
		     "a nodeSelector, a TracingPolicyNamespaced without a namespace),\n"
		     "enforcers, and the limits of its BPF selectors, with the agent's\n"
		     "messages. What the kernel decides (tracepoints, symbols) is left to the agent.\n\n"
		     "Problems go to stderr as FILE:LINE:COL: FIELD.PATH: message (warnings say\n"
		     "\"warning:\"), control characters escaped; each valid file prints\n"
		     "\"FILE: ok (N policies)\" on stdout.\n\n"
		     "Options:\n"
		     "  -q, --quiet     do not print the \"ok\" lines\n"
		     "  --parse-only    check only that the files parse (upstream's schema), not\n"
		     "                  what this agent refuses\n\n"
		     "Exit status: 0 if every file is valid, 1 if any is not, 2 on usage errors.\n");
}

static void print_diags(const char *file, const struct tp_diags *d)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < d->n; i++) {
		strbuf_reset(&sb);
		tp_diag_format(&d->v[i], file, &sb);
		tetra_eprint(sb.buf ? sb.buf : "");
	}
	if (d->dropped) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s: %zu more problem%s not shown", file, d->dropped, d->dropped == 1 ? "" : "s");
		tetra_eprint(sb.buf ? sb.buf : "");
	}
	strbuf_free(&sb);
}

static int validate_run(int argc, char **argv)
{
	int i, first = 1, rc = TETRA_EXIT_OK;
	int quiet = 0, parse_only = 0, nfiles = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			continue;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			tetra_usage(&tp_validate_cmd, stdout);
			return TETRA_EXIT_OK;
		}
		if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			quiet = 1;
			continue;
		}
		if (!strcmp(a, "--parse-only")) {
			parse_only = 1;
			continue;
		}
		fprintf(stderr, "tetra tracingpolicy validate: unknown option \"%s\"\n"
				"Usage: tetra tracingpolicy validate [-q] [--parse-only] FILE...\n", a);
		return TETRA_EXIT_USAGE;
	}
	/* files: every non-option before "--", everything after it */
	for (i = 1; i < argc; i++) {
		const char *file = argv[i];
		struct tp_diags d = TP_DIAGS_INIT;
		struct tp_policy_set *set = NULL;
		int r;

		if (first && !strcmp(file, "--")) {
			first = 0;
			continue;
		}
		if (first && file[0] == '-' && file[1])
			continue;
		nfiles++;
		r = tp_parse_file(file, &set, &d);
		/* parses; then what this agent would refuse, as it says it */
		for (size_t k = 0; !r && !parse_only && k < set->n; k++)
			if (tp_check_agent(set->policies[k], &d))
				r = -EINVAL;
		print_diags(!strcmp(file, "-") ? "<stdin>" : file, &d);
		if (!r) {
			if (!quiet)
				printf("%s: ok (%zu polic%s)\n", !strcmp(file, "-") ? "<stdin>" : file, set->n,
				       set->n == 1 ? "y" : "ies");
		} else {
			rc = TETRA_EXIT_FAIL;
		}
		tp_policy_set_free(set);
		tp_diags_free(&d);
	}
	if (!nfiles) {
		fprintf(stderr, "tetra tracingpolicy validate: no FILE given\n"
				"Usage: tetra tracingpolicy validate [-q] FILE...\n");
		return TETRA_EXIT_USAGE;
	}
	fflush(stdout);
	return rc;
}

static const struct tetra_cmd tp_validate_cmd = {
	.parent = "tracingpolicy",
	.name = "validate",
	.args = "[-q] [--parse-only] FILE...",
	.summary = "Check policy files offline (no agent needed)",
	.run = validate_run,
	.help = validate_help,
};
TETRA_COMMAND(tp_validate_cmd)
