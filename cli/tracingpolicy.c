// SPDX-License-Identifier: Apache-2.0
/* "tetra tracingpolicy" (alias "tp"): the group; subcommands are cli/tp_*.c. */
#include "cli/tetra.h"

static const struct tetra_cmd tracingpolicy_cmd = {
	.name = "tracingpolicy",
	.alias = "tp",
	.summary = "Manage and check tracing policies",
};
TETRA_COMMAND(tracingpolicy_cmd)
