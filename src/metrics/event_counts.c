// SPDX-License-Identifier: Apache-2.0
#include "metrics/event_counts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bound on distinct (policy, hook) label pairs: a label set must not grow without end */
#define MAX_POLICY_LABELS 1024

const char *event_counts_type_name(int c)
{
	switch (c) {
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC: return "PROCESS_EXEC";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT: return "PROCESS_EXIT";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE: return "PROCESS_KPROBE";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT: return "PROCESS_TRACEPOINT";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE: return "PROCESS_UPROBE";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LSM: return "PROCESS_LSM";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_USDT: return "PROCESS_USDT";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LOADER: return "PROCESS_LOADER";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_THROTTLE: return "PROCESS_THROTTLE";
	default: return NULL;
	}
}

static void count_policy(struct event_counts *c, const char *policy, const char *hook)
{
	struct policy_count *v;

	if (!policy || !*policy)
		return;
	for (size_t i = 0; i < c->npolicies; i++)
		if (!strcmp(c->policies[i].policy, policy) && !strcmp(c->policies[i].hook, hook)) {
			c->policies[i].n++;
			return;
		}
	if (c->npolicies >= MAX_POLICY_LABELS) {
		c->overflow++;
		return;
	}
	v = realloc(c->policies, (c->npolicies + 1) * sizeof(*v));
	if (!v)
		return;
	c->policies = v;
	v[c->npolicies].policy = strdup(policy);
	v[c->npolicies].hook = strdup(hook);
	v[c->npolicies].n = 1;
	if (!v[c->npolicies].policy || !v[c->npolicies].hook) {
		free(v[c->npolicies].policy);
		free(v[c->npolicies].hook);
		return;
	}
	c->npolicies++;
}

static int counts_write(struct event_sink *s, const Tetragon__GetEventsResponse *ev)
{
	struct event_counts *c = (struct event_counts *)s;
	char hook[512];

	if ((unsigned)ev->event_case < sizeof(c->by_case) / sizeof(c->by_case[0]))
		c->by_case[ev->event_case]++;
	switch (ev->event_case) {
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE:
		snprintf(hook, sizeof(hook), "kprobe:%s", ev->process_kprobe->function_name);
		count_policy(c, ev->process_kprobe->policy_name, hook);
		break;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT:
		snprintf(hook, sizeof(hook), "tracepoint:%s/%s", ev->process_tracepoint->subsys,
			 ev->process_tracepoint->event);
		count_policy(c, ev->process_tracepoint->policy_name, hook);
		break;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE:
		snprintf(hook, sizeof(hook), "uprobe:%s/%s", ev->process_uprobe->path, ev->process_uprobe->symbol);
		count_policy(c, ev->process_uprobe->policy_name, hook);
		break;
	default:
		break;
	}
	return 0;
}

static void counts_destroy(struct event_sink *s)
{
	struct event_counts *c = (struct event_counts *)s;

	for (size_t i = 0; i < c->npolicies; i++) {
		free(c->policies[i].policy);
		free(c->policies[i].hook);
	}
	free(c->policies);
	free(c);
}

struct event_counts *event_counts_new(void)
{
	struct event_counts *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->base.name = "metrics";
	c->base.write = counts_write;
	c->base.destroy = counts_destroy;
	return c;
}
