// SPDX-License-Identifier: Apache-2.0
#include "encode/compact.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
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
	char esc[5] = { '\x1b', '[', (char)('0' + (int)col / 10), (char)('0' + (int)col % 10), 'm' };

	if (c->o->color)
		strbuf_add(c->out, esc, sizeof(esc));
}

static void color_off(struct ctx *c)
{
	if (c->o->color)
		strbuf_adds(c->out, "\x1b[0m");
}

/* "<emoji> <label padded to 7>" in @col */
static void head(struct ctx *c, enum color col, const char *emoji, const char *label)
{
	size_t l = strlen(label);

	color_on(c, col);
	strbuf_adds(c->out, emoji);
	strbuf_addc(c->out, ' ');
	strbuf_add(c->out, label, l);
	if (l < 7)
		strbuf_addn(c->out, ' ', 7 - l);
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
	/*
	 * the same as upstream's for valid Kubernetes names; quoted when not.
	 * A plain container's pod (no name: no pod) reads as the node, as upstream.
	 */
	if (p->pod && p->pod->name && *p->pod->name) {
		go_maybe_quote(c->out, p->pod->namespace_ ? p->pod->namespace_ : "");
		strbuf_addc(c->out, '/');
		go_maybe_quote(c->out, p->pod->name ? p->pod->name : "");
	} else
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

/* Upstream's arch.CutSyscallPrefix: "__x64_sys_write" -> "sys_write". */
static const char *cut_arch_prefix(const char *fn)
{
	static const char *const prefixes[] = { "__x64_", "__arm64_", "__ia32_" };

	if (!fn)
		return "";
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(fn, prefixes[i], strlen(prefixes[i])))
			return fn + strlen(prefixes[i]);
	return fn;
}

static const Tetragon__KprobeArgument *kp_arg(const Tetragon__ProcessKprobe *k, size_t i)
{
	return i < k->n_args ? k->args[i] : NULL;
}

/* Go's getters: the value when the oneof holds that field, else its zero value. */
static const char *kp_file(const Tetragon__ProcessKprobe *k, size_t i)
{
	const Tetragon__KprobeArgument *a = kp_arg(k, i);

	return a && a->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_FILE_ARG && a->file_arg && a->file_arg->path ?
		       a->file_arg->path : NULL;
}

static const char *kp_string(const Tetragon__ProcessKprobe *k, size_t i)
{
	const Tetragon__KprobeArgument *a = kp_arg(k, i);

	if (!a)
		return NULL;
	return a->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_STRING_ARG && a->string_arg ? a->string_arg : "";
}

static int32_t kp_int(const Tetragon__ProcessKprobe *k, size_t i)
{
	const Tetragon__KprobeArgument *a = kp_arg(k, i);

	return a && a->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_INT_ARG ? a->int_arg : 0;
}

/* " <s>" in cyan, maybe quoted; " " alone for NULL (upstream prints an empty field) */
static void cyan_field(struct ctx *c, const char *s)
{
	strbuf_addc(c->out, ' ');
	if (s)
		quoted(c, CYAN, s);
}

static const Tetragon__KprobeSock *kp_sock(const Tetragon__ProcessKprobe *k, size_t i)
{
	const Tetragon__KprobeArgument *a = kp_arg(k, i);

	return a && a->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_SOCK_ARG ? a->sock_arg : NULL;
}

static uint32_t kp_uint(const Tetragon__ProcessKprobe *k, size_t i)
{
	const Tetragon__KprobeArgument *a = kp_arg(k, i);

	return a && a->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_UINT_ARG ? a->uint_arg : 0;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* "tcp <saddr>:<sport> -> <daddr>:<dport>" in cyan; nothing without the argument */
static void tcp_tuple(struct ctx *c, const Tetragon__ProcessKprobe *k)
{
	const Tetragon__KprobeSock *s = kp_sock(k, 0);

	strbuf_addc(c->out, ' ');
	if (!kp_arg(k, 0))
		return;
	color_on(c, CYAN);
	strbuf_addf(c->out, "tcp %s:%" PRIu32 " -> %s:%" PRIu32, s ? nz(s->saddr) : "",
		    s ? s->sport : 0, s ? nz(s->daddr) : "", s ? s->dport : 0);
	color_off(c);
}

/*
 * The kernel functions upstream's compact encoder gives a line of their own
 * (file access, TCP, BPF); false for any other function.
 */
static bool kernel_function_line(struct ctx *c, const char *node, const Tetragon__ProcessKprobe *k,
				 const char *fn)
{
	const Tetragon__Process *p = k->process;
	const Tetragon__KprobeArgument *a0 = kp_arg(k, 0), *a1 = kp_arg(k, 1);

	if (!strcmp(fn, "fd_install")) {
		head(c, BLUE, "\xf0\x9f\x93\xac", "open");
		process_info(c, node, p);
		cyan_field(c, a1 ? nz(kp_file(k, 1)) : NULL);
	} else if (!strcmp(fn, "proc_exec_connector")) {
		head(c, BLUE, "\xf0\x9f\x94\xa7", "proc_exec_connector");
		process_info(c, node, p);
	} else if (!strcmp(fn, "tcp_connect") || !strcmp(fn, "tcp_close")) {
		bool conn = !strcmp(fn, "tcp_connect");

		head(c, BLUE, conn ? "\xf0\x9f\x94\x8c" : "\xf0\x9f\xa7\xb9", conn ? "connect" : "close");
		process_info(c, node, p);
		tcp_tuple(c, k);
	} else if (!strcmp(fn, "tcp_sendmsg")) {
		head(c, BLUE, "\xf0\x9f\x93\xa4", "sendmsg");
		process_info(c, node, p);
		tcp_tuple(c, k);
		strbuf_addf(c->out, " bytes %" PRId32, kp_int(k, 1));
	} else if (!strcmp(fn, "bpf_check")) {
		const Tetragon__KprobeBpfAttr *b =
			a0 && a0->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_BPF_ATTR_ARG ? a0->bpf_attr_arg : NULL;

		head(c, BLUE, "\xf0\x9f\x90\x9d", "bpf_load");
		process_info(c, node, p);
		strbuf_addc(c->out, ' ');
		if (a0) {
			color_on(c, CYAN);
			strbuf_addf(c->out, "%s %s instruction count %" PRIu32, b ? nz(b->progtype) : "",
				    b ? nz(b->progname) : "", b ? b->insncnt : 0);
			color_off(c);
		}
	} else if (!strcmp(fn, "security_perf_event_alloc")) {
		const Tetragon__KprobePerfEvent *e =
			a0 && a0->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_PERF_EVENT_ARG ? a0->perf_event_arg : NULL;

		head(c, BLUE, "\xf0\x9f\x90\x9d", "perf_event_alloc");
		process_info(c, node, p);
		strbuf_addc(c->out, ' ');
		if (a0) {
			color_on(c, CYAN);
			strbuf_addf(c->out, "%s %s", e ? nz(e->type) : "", e ? nz(e->kprobefunc) : "");
			color_off(c);
		}
	} else if (!strcmp(fn, "security_bpf_map_alloc") || !strcmp(fn, "security_bpf_map_create")) {
		const Tetragon__KprobeBpfMap *m =
			a0 && a0->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_BPF_MAP_ARG ? a0->bpf_map_arg : NULL;

		/* U+1F5FA without a variation selector, as upstream writes it */
		head(c, BLUE, "\xf0\x9f\x97\xba", "bpf_map_create");
		process_info(c, node, p);
		strbuf_addc(c->out, ' ');
		if (a0) {
			color_on(c, CYAN);
			strbuf_addf(c->out, "%s %s key size %" PRIu32 " value size %" PRIu32 " max entries %" PRIu32,
				    m ? nz(m->maptype) : "", m ? nz(m->mapname) : "", m ? m->keysize : 0,
				    m ? m->valuesize : 0, m ? m->maxentries : 0);
			color_off(c);
		}
	} else if (!strcmp(fn, "security_file_permission")) {
		const char *label = fn, *emoji = "❓";

		if (a0 && a1) {
			int32_t mask = kp_int(k, 1);

			if (mask == 0x02)
				emoji = "\xf0\x9f\x93\x9d", label = "write";
			else if (mask == 0x04)
				emoji = "\xf0\x9f\x93\x9a", label = "read";
		}
		head(c, BLUE, emoji, label);
		process_info(c, node, p);
		cyan_field(c, a0 && a1 ? nz(kp_file(k, 0)) : NULL);
	} else if (!strcmp(fn, "security_mmap_file")) {
		char tag[8] = "mmap-";

		if (a0 && a1) {
			uint32_t prot = kp_uint(k, 1);
			size_t n = 5;

			if (prot & 0x01)
				tag[n++] = 'r';
			if (prot & 0x02)
				tag[n++] = 'w';
			if (prot & 0x04)
				tag[n++] = 'x';
			tag[n] = '\0';
			head(c, BLUE, "\xf0\x9f\x93\x9d", tag);
		} else
			head(c, BLUE, "❓", fn);
		process_info(c, node, p);
		cyan_field(c, a0 && a1 ? nz(kp_file(k, 0)) : NULL);
	} else if (!strcmp(fn, "security_path_truncate") || !strcmp(fn, "security_file_truncate")) {
		const char *path = NULL;

		if (a0) {
			if (!strcmp(fn, "security_path_truncate"))
				path = a0->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_PATH_ARG && a0->path_arg ?
					       nz(a0->path_arg->path) : "";
			else
				path = nz(kp_file(k, 0));
			head(c, BLUE, "\xf0\x9f\x93\x9d", "truncate");
		} else
			head(c, BLUE, "❓", fn);
		process_info(c, node, p);
		cyan_field(c, path);
	} else
		return false;
	return true;
}

/* upstream's names of setns' nstype */
static const char *ns_name(int32_t t)
{
	switch (t) {
	case 0: return "any";
	case 0x02000000: return "cgroup";
	case 0x08000000: return "ipc";
	case 0x40000000: return "net";
	case 0x00020000: return "mnt";
	case 0x20000000: return "pid";
	case 0x00000080: return "time";
	case 0x10000000: return "user";
	case 0x04000000: return "uts";
	default: return "";
	}
}

/*
 * The syscalls upstream's compact encoder names (pkg/encoder): the line after
 * "<emoji> <label> <source> <binary>"; every other function is "❓ syscall".
 */
static void kprobe_line(struct ctx *c, const char *node, const Tetragon__ProcessKprobe *k)
{
	const char *sc = cut_arch_prefix(k->function_name);
	const Tetragon__Process *p = k->process;

	if (!strcmp(sc, "sys_write") || !strcmp(sc, "sys_read")) {
		const Tetragon__KprobeArgument *n = kp_arg(k, 2);
		bool w = sc[4] == 'w';

		head(c, BLUE, w ? "\xf0\x9f\x93\x9d" : "\xf0\x9f\x93\x9a", w ? "write" : "read");
		process_info(c, node, p);
		cyan_field(c, kp_file(k, 0));
		strbuf_addc(c->out, ' ');
		if (n) {
			/* GetSizeArg(): 0 unless the argument is a size_t */
			color_on(c, CYAN);
			strbuf_addf(c->out, "%" PRIu64 " bytes",
				    n->arg_case == TETRAGON__KPROBE_ARGUMENT__ARG_SIZE_ARG ? (uint64_t)n->size_arg : 0);
			color_off(c);
		}
	} else if (!strcmp(sc, "sys_openat") || !strcmp(sc, "sys_open")) {
		/* U+1F4EC U+FE0F, as upstream writes it for these two */
		head(c, BLUE, "\xf0\x9f\x93\xac\xef\xb8\x8f", sc + 4);
		process_info(c, node, p);
		cyan_field(c, kp_string(k, 1));
	} else if (!strcmp(sc, "sys_close")) {
		head(c, BLUE, "\xf0\x9f\x93\xaa", "close");
		process_info(c, node, p);
		cyan_field(c, kp_file(k, 0));
	} else if (!strcmp(sc, "sys_mount") || !strcmp(sc, "sys_pivot_root")) {
		head(c, BLUE, "\xf0\x9f\x92\xbe", sc + 4);
		process_info(c, node, p);
		cyan_field(c, kp_string(k, 0));
		cyan_field(c, kp_string(k, 1));
	} else if (!strcmp(sc, "sys_setuid")) {
		head(c, BLUE, "\xf0\x9f\x94\x91", "setuid");
		process_info(c, node, p);
		strbuf_addc(c->out, ' ');
		if (kp_arg(k, 0)) {
			color_on(c, CYAN);
			strbuf_addf(c->out, "%" PRId32, kp_int(k, 0));
			color_off(c);
		}
	} else if (!strcmp(sc, "sys_clock_settime")) {
		head(c, BLUE, "\xe2\x8f\xb0", "clock_settime");
		process_info(c, node, p);
	} else if (!strcmp(sc, "sys_setns")) {
		head(c, BLUE, "\xf0\x9f\x94\xa7", "setns");
		process_info(c, node, p);
		strbuf_addc(c->out, ' ');
		if (kp_arg(k, 1))
			strbuf_adds(c->out, ns_name(kp_int(k, 1)));
	} else if (kernel_function_line(c, node, k, sc)) {
		/* one of the kernel functions upstream names */
	} else {
		head(c, BLUE, "❓", "syscall");
		process_info(c, node, p);
		strbuf_addc(c->out, ' ');
		/* never raw on a terminal: quoted if it is not a plain name */
		quoted(c, CYAN, k->function_name);
	}
}

/* "   0x<address>: <symbol>+0x<offset>" (kernel), "   0x<address>: <symbol> (<module>+0x<offset>)" (user) */
static void stack_lines(struct ctx *c, const char *title, Tetragon__StackTraceEntry *const *v, size_t n, bool user)
{
	strbuf_addf(c->out, "\n%s:", title);
	for (size_t i = 0; i < n; i++) {
		const Tetragon__StackTraceEntry *e = v[i];

		strbuf_adds(c->out, "\n");
		color_on(c, GREEN);
		strbuf_addf(c->out, "   0x%" PRIx64 ":", e->address);
		color_off(c);
		if (!user || (e->symbol && *e->symbol)) {
			color_on(c, BLUE);
			strbuf_addc(c->out, ' ');
			go_maybe_quote(c->out, e->symbol ? e->symbol : "");
			color_off(c);
		}
		if (user) {
			color_on(c, YELLOW);
			strbuf_adds(c->out, " (");
			go_maybe_quote(c->out, e->module ? e->module : "");
			strbuf_addf(c->out, "+0x%" PRIx64 ")", e->offset);
		} else {
			strbuf_addc(c->out, '+');
			color_on(c, YELLOW);
			strbuf_addf(c->out, "0x%" PRIx64, e->offset);
		}
		color_off(c);
	}
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
		if (x->signal && *x->signal) {
			go_maybe_quote(out, x->signal);
		} else {
			char num[12], *q = num + sizeof(num);
			uint32_t v = x->status;

			do
				*--q = (char)('0' + v % 10);
			while (v /= 10);
			strbuf_add(out, q, (size_t)(num + sizeof(num) - q));
		}
		color_off(&c);
		break;
	}
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE: {
		const Tetragon__ProcessKprobe *k = ev->process_kprobe;

		p = k->process;
		if (!p)
			goto none;
		kprobe_line(&c, ev->node_name, k);
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
		strbuf_addc(out, ' ');
		go_maybe_quote(out, t->subsys ? t->subsys : "");
		strbuf_addc(out, ' ');
		go_maybe_quote(out, t->event ? t->event : "");
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
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_USDT: {
		const Tetragon__ProcessUsdt *u = ev->process_usdt;

		p = u->process;
		if (!p)
			goto none;
		head(&c, BLUE, "🕵️", "usdt");
		process_info(&c, ev->node_name, p);
		strbuf_addc(out, ' ');
		go_maybe_quote(out, u->path ? u->path : "");
		strbuf_addc(out, ' ');
		go_maybe_quote(out, u->provider ? u->provider : "");
		strbuf_addc(out, ' ');
		go_maybe_quote(out, u->name ? u->name : "");
		break;
	}
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LOADER: {
		const Tetragon__ProcessLoader *l = ev->process_loader;

		p = l->process;
		if (!p)
			goto none;
		/* upstream: the build id in hex, then the path in yellow */
		head(&c, BLUE, "🧬", "loader");
		process_info(&c, ev->node_name, p);
		strbuf_addc(out, ' ');
		for (size_t i = 0; i < l->buildid.len; i++)
			strbuf_addf(out, "%02x", l->buildid.data[i]);
		if (l->buildid.len)
			strbuf_addc(out, ' ');
		color_on(&c, YELLOW);
		go_maybe_quote(out, l->path ? l->path : "");
		color_off(&c);
		break;
	}
	case TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_LSM: {
		const Tetragon__ProcessLsm *l = ev->process_lsm;

		p = l->process;
		if (!p)
			goto none;
		head(&c, BLUE, "🔒", "LSM");
		process_info(&c, ev->node_name, p);
		strbuf_addc(out, ' ');
		go_maybe_quote(out, l->function_name ? l->function_name : "");
		break;
	}
	default:
		goto none;
	}
	caps_trailer(&c, line, p);
	if (ev->event_case == TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_KPROBE && !c.o->no_stack_traces) {
		const Tetragon__ProcessKprobe *k = ev->process_kprobe;

		if (k->n_kernel_stack_trace)
			stack_lines(&c, "Kernel", k->kernel_stack_trace, k->n_kernel_stack_trace, false);
		if (k->n_user_stack_trace)
			stack_lines(&c, "User", k->user_stack_trace, k->n_user_stack_trace, true);
	}
	return out->oom ? -ENOMEM : 0;
none:
	out->len = start;
	if (out->buf)
		out->buf[start] = '\0';
	return -ENOENT;
}
