/* SPDX-License-Identifier: Apache-2.0 */
/* The agent: wires the kernel sensors, process cache, pipeline and sinks,
 * and runs the event loop until SIGINT/SIGTERM. */
#ifndef TG_AGENT_AGENT_H
#define TG_AGENT_AGENT_H

#include "agent/options.h"

/* Returns the process exit code. */
int agent_run(const struct agent_options *o);

#endif
