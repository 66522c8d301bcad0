// SPDX-License-Identifier: Apache-2.0
/* tetragon: the node agent. */
#include <stdio.h>

#include "agent/agent.h"
#include "agent/options.h"
#include "kernel/features.h"

int main(int argc, char **argv)
{
	struct agent_options o;
	int r = agent_options_parse(&o, argc, argv);

	if (r < 0)
		return 2;
	if (r > 0) {
		if (o.probe_features) {
			agent_options_free(&o);
			return kfeatures_print(stdout);
		}
		if (o.show_version)
			printf("tetragon %s\n", TG_VERSION);
		agent_options_free(&o);
		return 0;
	}
	r = agent_run(&o);
	agent_options_free(&o);
	return r;
}
