// SPDX-License-Identifier: Apache-2.0
#include "encode/compact.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "encode/goquote.h"

#define CAPS_PAD 120

enum color { RED = 31, GREEN = 32, YELLOW = 33, BLUE = 34, MAGENTA = 35, CYAN = 36 };

struct ctx {
	struct strbuf *out;
	const struct compact_opts *o;
};

static void color_on(struct ctx *c, enum color col)
{
	if (c->o->color)
		strbuf_addf(c->out, "\x1b[%dm", (int)col);
}

static void color_off(struct ctx *c)
{
	if (c->o->color)
		strbuf_adds(c->out, "\x1b[0m");
}

/* "<emoji> <label padded to 7>" in @col */
static void head(struct ctx *c, enum color col, const char *emoji, const char *label)
{
	color_on(c, col);
	strbuf_addf(c->out, "%s %-7s", emoji, label);
	color_off(c);
}

static void quoted(struct ctx *c, enum color col, const char *s)
{
	color_on(c, col);
	go_maybe_quote(c->out, s ? s : "");
	color_off(c);
}

/* " <source> <binary>", source = pod namespace/name or the node */
static void process_info(struct ctx *c, const char *node, const Tetragon__Process *p)
{
	strbuf_addc(c->out, ' ');
	color_on(c, GREEN);
	if (p->pod)
		strbuf_addf(c->out, "%s/%s", p->pod->namespace_ ? p->pod->namespace_ : "",
			    p->pod->name ? p->pod->name : "");
	else
		go_maybe_quote(c->out, node ? node : "");
	color_off(c);
	strbuf_addc(c->out, ' ');
	quoted(c, MAGENTA, p->binary);
}

/* Upstream only calls out CAP_SYS_ADMIN, right-aligned at column 120. */
static void caps_trailer(struct ctx *c, size_t line_start, const Tetragon__Process *p)
{
	size_t len, i;
	int has = 0;

	if (!p->cap)
		return;
	for (i = 0; i < p->cap->n_effective; i++)
		if (p->cap->effective[i] == TETRAGON__CAPABILITIES_TYPE__CAP_SYS_ADMIN)
			has = 1;
	if (!has)
		return;
	len = c->out->len - line_start;
	strbuf_addc(c->out, ' ');
	/* Go's %*s pads the caps string itself to the width */
	{
		struct strbuf caps = STRBUF_INIT;
		size_t pad = len < CAPS_PAD ? CAPS_PAD - len : 0;
		struct ctx cc = { &caps, c->o };

		color_on(&cc, MAGENTA);
		strbuf_adds(&caps, "🛑 CAP_SYS_ADMIN");
		color_off(&cc);
		/* Go's width counts runes, not bytes */
		size_t runes = 0;

		for (size_t k = 0; k < caps.len; k++)
			runes += ((unsigned char)caps.buf[k] & 0xc0) != 0x80;
		if (runes < pad)
			strbuf_addn(c->out, ' ', pad - runes);
		strbuf_add(c->out, caps.buf, caps.len);
		strbuf_free(&caps);
	}
}

static void timestamp(struct ctx *c, const Google__Protobuf__Timestamp *ts)
{
	struct tm tm;
	time_t t = ts ? (time_t)ts->seconds : 0;

	gmtime_r(&t, &tm);
	strbuf_addf(c->out, "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    ts ? ts->nanos : 0);
}

static const char *without_syscall_prefix(const char *fn)
{
	static const char *const prefixes[] = { "__x64_", "__ia32_", "__arm64_", "__se_", "__do_" };

	if (!fn)
		return "";
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(fn, prefixes[i], strlen(prefixes[i])))
			return fn + strlen(prefixes[i]);
	return fn;
}

int compact_encode(struct strbuf *out, const Tetragon__GetEventsResponse *ev,
		   const struct compact_opts *o)
{
	static const struct compact_opts none = { 0 };
	struct ctx c = { out, o ? o : &none };
	const Tetragon__Process *p = NULL;
	size_t start = out->len, line;

	if (c.o->timestamps)
		timestamp(&c, ev->time);
	line = out->len;

	switch (ev->event_case) {
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC:
		p = ev->process_exec->process;
		if (!p)
			goto none;
		head(&c, BLUE, "🚀", "process");
		process_info(&c, ev->node_name, p);
		strbuf_addc(out, ' ');
		quoted(&c, CYAN, p->arguments);
		break;
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXIT: {
		const Tetragon__ProcessExit *x = ev->process_exit;

		p = x->process;
		if (!p)
			goto none;
		head(&c, BLUE, "💥", "exit");
		process_info(&c, ev->node_name, p);
		strbuf_addc(out, ' ');
		quoted(&c, CYAN, p->arguments);
		strbuf_addc(out, ' ');
		color_on(&c, RED);
		if (x->signal && *x->signal)
			strbuf_adds(out, x->signal);
		else
			strbuf_addf(out, "%u", x->status);
		color_off(&c);
		break;
	}
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE: {
		const Tetragon__ProcessKprobe *k = ev->process_kprobe;

		p = k->process;
		if (!p)
			goto none;
		head(&c, BLUE, "❓", "syscall");
		process_info(&c, ev->node_name, p);
		strbuf_addc(out, ' ');
		color_on(&c, CYAN);
		strbuf_adds(out, k->function_name ? k->function_name : "");
		color_off(&c);
		(void)without_syscall_prefix;
		break;
	}
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_TRACEPOINT: {
		const Tetragon__ProcessTracepoint *t = ev->process_tracepoint;

		p = t->process;
		if (!p)
			goto none;
		head(&c, BLUE, "⁉️", "tracepoint");
		process_info(&c, ev->node_name, p);
		strbuf_addf(out, " %s %s", t->subsys ? t->subsys : "", t->event ? t->event : "");
		break;
	}
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_UPROBE: {
		const Tetragon__ProcessUprobe *u = ev->process_uprobe;

		p = u->process;
		if (!p)
			goto none;
		head(&c, BLUE, "🕵️", "uprobe");
		process_info(&c, ev->node_name, p);
		/* upstream quotes a path or symbol with spaces or unprintable runes */
		strbuf_addc(out, ' ');
		go_maybe_quote(out, u->path ? u->path : "");
		strbuf_addc(out, ' ');
		go_maybe_quote(out, u->symbol ? u->symbol : "");
		break;
	}
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LSM: {
		const Tetragon__ProcessLsm *l = ev->process_lsm;

		p = l->process;
		if (!p)
			goto none;
		head(&c, BLUE, "🔒", "LSM");
		process_info(&c, ev->node_name, p);
		strbuf_addf(out, " %s", l->function_name ? l->function_name : "");
		break;
	}
	default:
		goto none;
	}
	caps_trailer(&c, line, p);
	return out->oom ? -ENOMEM : 0;
none:
	out->len = start;
	if (out->buf)
		out->buf[start] = '\0';
	return -ENOENT;
}
