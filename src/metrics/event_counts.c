// SPDX-License-Identifier: Apache-2.0
#include "metrics/event_counts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/syscall_table.h"

static const char *const events_labels[] = { "binary", "namespace", "node_name", "pod", "type", "workload" };
static const char *const policy_labels[] = { "binary", "hook",	   "namespace", "node_name",
					     "pod",    "policy", "workload" };
static const char *const flags_labels[] = { "type" };
static const char *const syscalls_labels[] = { "binary", "namespace", "node_name", "pod", "syscall", "workload" };

/* upstream's exec flag names, listed at 0 from the start as upstream does */
static const char *const flag_names[] = {
	"execve",	 "procFS",	"errorEnvs",	   "truncArgs",	    "miss",
	"errorFilename", "errorArgs",	"nocwd",	   "rootcwd",	    "errorCWD",
	"clone",	 "errorCgroupName", "errorCgroupID", "errorCgroupSubsysCgrp", "errorCgroupSubsys",
	"errorCgroups",	 "errorPathResolutionCwd", "dataFilename", "dataArgs", "inInitTree",
};

void metrics_label_filter_parse(struct metrics_label_filter *f, const char *s)
{
	memset(f, 0, sizeof(*f));
	while (s && *s) {
		size_t n = strcspn(s, ",");
		const char *e = s + n;

		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
#define IS(word) (n == sizeof(word) - 1 && !memcmp(s, word, n))
		if (IS("namespace"))
			f->namespace_ = true;
		else if (IS("workload"))
			f->workload = true;
		else if (IS("pod"))
			f->pod = true;
		else if (IS("binary"))
			f->binary = true;
		else if (IS("node_name"))
			f->node_name = true;
#undef IS
		s = *e ? e + 1 : e;
	}
}

const char *event_counts_type_name(int c)
{
	switch (c) {
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC: return "PROCESS_EXEC";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT: return "PROCESS_EXIT";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE: return "PROCESS_KPROBE";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT: return "PROCESS_TRACEPOINT";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LOADER: return "PROCESS_LOADER";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE: return "PROCESS_UPROBE";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_THROTTLE: return "PROCESS_THROTTLE";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LSM: return "PROCESS_LSM";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_USDT: return "PROCESS_USDT";
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_RATE_LIMIT_INFO: return "RATE_LIMIT_INFO";
	default: return NULL;
	}
}

/* The event's own process (the one upstream's labels describe); *has says whether the type carries one. */
static const Tetragon__Process *event_process(const Tetragon__GetEventsResponse *ev, bool *has)
{
	*has = true;
	switch (ev->event_case) {
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC: return ev->process_exec->process;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT: return ev->process_exit->process;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE: return ev->process_kprobe->process;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT: return ev->process_tracepoint->process;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LOADER: return ev->process_loader->process;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE: return ev->process_uprobe->process;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LSM: return ev->process_lsm->process;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_USDT: return ev->process_usdt->process;
	default: *has = false; return NULL;
	}
}

/* Count into t; past the bound the binary label (index bin) is blanked. */
static void count(struct event_counts *c, struct mtable *t, const char **vals, size_t bin)
{
	if (mtable_add(t, vals, 1, false) == -ENOSPC) {
		vals[bin] = "";
		mtable_add(t, vals, 1, true);
		c->label_overflow++;
	}
}

static void count_flags(struct event_counts *c, const char *flags)
{
	while (flags && *flags) {
		size_t n = strcspn(flags, " ");
		char name[64];

		if (n && n < sizeof(name)) {
			const char *v[1] = { name };

			memcpy(name, flags, n);
			name[n] = '\0';
			/* flag names come from a fixed list: no bound needed, but keep one */
			if (mtable_add(&c->flags, v, 1, false) == -ENOSPC)
				c->label_overflow++;
		}
		flags += n;
		while (*flags == ' ')
			flags++;
	}
}

/* Upstream's tetragon_syscalls_total: the name of the first syscall64 argument of a raw sys_enter. */
static const char *raw_syscall_name(const Tetragon__ProcessTracepoint *tp)
{
	if (!tp->subsys || !tp->event || strcmp(tp->subsys, "raw_syscalls") || strcmp(tp->event, "sys_enter"))
		return NULL;
	for (size_t i = 0; i < tp->n_args; i++) {
		const Tetragon__KprobeArgument *a = tp->args[i];

		if (a->arg_case != TETRAGON__KPROBE_ARGUMENT__ARG_SYSCALL_ID)
			continue;
		/* only the x86_64 table is known here; others are not counted, as upstream's unknown ids */
		if (!a->syscall_id->abi || strcmp(a->syscall_id->abi, "x64"))
			return NULL;
		return syscall_name_x86_64((int)a->syscall_id->id);
	}
	return NULL;
}

static int counts_write(struct event_sink *s, const Tetragon__GetEventsResponse *ev)
{
	struct event_counts *c = (struct event_counts *)s;
	const struct metrics_label_filter *f = &c->filter;
	const char *type = event_counts_type_name(ev->event_case);
	const char *binary = "", *ns = "", *pod = "", *workload = "", *policy = NULL;
	const Tetragon__Process *p;
	char hook[512];
	bool has;

	if (!type)
		return 0;	/* not an event type upstream counts */
	p = event_process(ev, &has);
	if (has && !p)
		c->missing_process++;
	if (p) {
		binary = p->binary ? p->binary : "";
		if (p->pod) {
			ns = p->pod->namespace_ ? p->pod->namespace_ : "";
			pod = p->pod->name ? p->pod->name : "";
			workload = p->pod->workload ? p->pod->workload : "";
		}
	}
	if (!f->binary)
		binary = "";
	if (!f->namespace_)
		ns = "";
	if (!f->pod)
		pod = "";
	if (!f->workload)
		workload = "";
	{
		const char *v[] = { binary, ns, f->node_name && ev->node_name ? ev->node_name : "", pod, type,
				    workload };

		count(c, &c->events, v, 0);
	}
	switch (ev->event_case) {
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC:
		if (p)
			count_flags(c, p->flags);
		break;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE:
		snprintf(hook, sizeof(hook), "kprobe:%s", ev->process_kprobe->function_name);
		policy = ev->process_kprobe->policy_name;
		break;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT: {
		const char *sc = raw_syscall_name(ev->process_tracepoint);

		snprintf(hook, sizeof(hook), "tracepoint:%s/%s", ev->process_tracepoint->subsys,
			 ev->process_tracepoint->event);
		policy = ev->process_tracepoint->policy_name;
		if (sc) {
			const char *v[] = { binary, ns, f->node_name && ev->node_name ? ev->node_name : "", pod, sc,
					    workload };

			count(c, &c->syscalls, v, 0);
		}
		break;
	}
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE:
		snprintf(hook, sizeof(hook), "uprobe:%s/%s", ev->process_uprobe->path, ev->process_uprobe->symbol);
		policy = ev->process_uprobe->policy_name;
		break;
	default:
		break;
	}
	if (policy && *policy) {
		const char *v[] = { binary, hook, ns, f->node_name && ev->node_name ? ev->node_name : "", pod, policy,
				    workload };

		count(c, &c->policy, v, 0);
	}
	return 0;
}

static void counts_destroy(struct event_sink *s)
{
	struct event_counts *c = (struct event_counts *)s;

	mtable_free(&c->events);
	mtable_free(&c->policy);
	mtable_free(&c->flags);
	mtable_free(&c->syscalls);
	free(c);
}

struct event_counts *event_counts_new(const struct metrics_label_filter *f)
{
	struct event_counts *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->base.name = "metrics";
	c->base.write = counts_write;
	c->base.destroy = counts_destroy;
	if (f)
		c->filter = *f;
	else
		metrics_label_filter_parse(&c->filter, METRICS_DEFAULT_LABEL_FILTER);
	mtable_init(&c->events, events_labels, 6, EVENT_COUNTS_MAX_SERIES);
	mtable_init(&c->policy, policy_labels, 7, EVENT_COUNTS_MAX_SERIES);
	mtable_init(&c->flags, flags_labels, 1, 64);
	mtable_init(&c->syscalls, syscalls_labels, 6, EVENT_COUNTS_MAX_SERIES);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		const char *v[1] = { flag_names[i] };

		if (mtable_add(&c->flags, v, 0, false)) {
			counts_destroy(&c->base);
			return NULL;
		}
	}
	return c;
}
