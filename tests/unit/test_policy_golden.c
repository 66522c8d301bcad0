// SPDX-License-Identifier: Apache-2.0
/*
 * Golden tests of the policy engine without a kernel: each
 * tests/unit/golden/NAME.yaml policy is compiled by the engine in dry run
 * (every back-end's argument layout, the selector compiler; nothing is
 * loaded) and the bytes it would write (the gt_prog_cfg rodata, gt_config,
 * the gt_strs/gt_ints entries) are dumped and compared with NAME.cfg; then
 * the records described in NAME.rec are packed as the BPF programs post
 * them, decoded by the engine and encoded as JSON, and compared with
 * NAME.json. TG_GOLDEN_UPDATE=1 rewrites the expected files (review the
 * diff: a golden file is only as right as its review).
 *
 * NAME.rec, one directive a line ('#' comments):
 *   exec PID KTIME PPID PKTIME BINARY [ARG...]   a lifecycle exec record
 *   record INST TGID TID EXEC_KTIME KTIME ACTION SEL   starts a policy record of instance INST
 *   func ID                                      its func_id
 *   ret VALUE RET_ACTION                         a completed return probe
 *   arg IVAL [FLAGS ["BYTES"]]                   the next argument (C escapes in BYTES)
 *   chunk SLOT OFF SEQ "BYTES"                   a maxData chunk (MSG_OP_DATA) of the record
 *                                                started, handed over at once (ahead of it)
 *   end                                          posts it
 * The fake tracefs and available_filter_functions are written by setup(); the
 * kernel's BTF (/sys/kernel/btf/vmlinux, which the build needs anyway) types
 * kprobe and raw tracepoint arguments: cases using it are skipped without it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "abi/msg_generic.h"
#include "encode/protojson.h"
#include "event/pipeline.h"
#include "event/process_events.h"
#include "kernel/features.h"
#include "process/cache.h"
#include "sensors/generic_policy.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_internal.h"
#include "util/strbuf.h"

#ifndef GOLDEN_DIR
#define GOLDEN_DIR "tests/unit/golden"
#endif

static char tracefs[64];

/* A kernel with kprobes and kprobe_multi: the choices the VM's 6.12 makes. */
static bool all_features(int f, char *why, size_t len)
{
	(void)f;
	snprintf(why, len, "golden");
	return true;
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_format(const char *subsys, const char *event, const char *fields)
{
	char path[512], text[4096];

	snprintf(path, sizeof(path), "%s/events/%s", tracefs, subsys);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs, subsys, event);
	mkdir(path, 0700);
	snprintf(text, sizeof(text),
		 "name: %s\nID: 1\nformat:\n"
		 "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		 "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		 "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		 "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n%s\nprint fmt: \"\"\n", event, fields);
	put(path, "format", text);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	snprintf(tracefs, sizeof(tracefs), "/tmp/tg-golden-XXXXXX");
	if (!mkdtemp(tracefs))
		return -1;
	snprintf(path, sizeof(path), "%s/events", tracefs);
	mkdir(path, 0700);
	/* the formats of this machine's kernel (6.18), trimmed to what the cases read */
	put_format("syscalls", "sys_enter_openat",
		   "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
		   "\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n"
		   "\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"
		   "\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n"
		   "\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n");
	put_format("syscalls", "sys_exit_openat",
		   "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
		   "\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n");
	put_format("syscalls", "sys_enter_connect",
		   "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
		   "\tfield:int fd;\toffset:16;\tsize:8;\tsigned:0;\n"
		   "\tfield:struct sockaddr * uservaddr;\toffset:24;\tsize:8;\tsigned:0;\n"
		   "\tfield:int addrlen;\toffset:32;\tsize:8;\tsigned:0;\n");
	put_format("syscalls", "sys_enter_write",
		   "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
		   "\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;\n"
		   "\tfield:const char * buf;\toffset:24;\tsize:8;\tsigned:0;\n"
		   "\tfield:size_t count;\toffset:32;\tsize:8;\tsigned:0;\n");
	put_format("raw_syscalls", "sys_enter",
		   "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
		   "\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n");
	put_format("sched", "sched_process_exec",
		   "\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
		   "\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
		   "\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n");
	put(tracefs, "available_filter_functions",
	    "fd_install\nvfs_read\nvfs_write\nsecurity_file_permission\nvfs_readv [ext4]\nvfs_read\n"
	    "security_inode_mkdir\ndo_mkdirat\ntcp_connect\nip_output\ncap_capable\nsecurity_bpf_map_create\n"
	    "bpf_check\nsecurity_perf_event_alloc\nsecurity_socket_connect\ndev_hard_start_xmit\n"
	    "security_file_open\nsecurity_capset\nsk_alloc\n__sk_free\n__x64_sys_openat\n__x64_sys_connect\n");
	policy_features_override(all_features);
	/* BPF LSM "active" whatever this machine's securityfs says: the features decide */
	snprintf(path, sizeof(path), "%s/no-lsm-list", tracefs);
	policy_lsm_list_override(path);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	policy_features_override(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tracefs);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- dumps -------------------------------------------------------------------- */

static void hexdump(struct strbuf *sb, const void *p, size_t n)
{
	const unsigned char *b = p;
	bool skipped = false;

	for (size_t off = 0; off < n; off += 16) {
		size_t l = n - off < 16 ? n - off : 16;
		bool zero = true;

		for (size_t k = 0; k < l; k++)
			zero &= !b[off + k];
		/* runs of zero lines: one "*", as hexdump(1) */
		if (zero && off && off + 16 < n) {
			if (!skipped)
				strbuf_addf(sb, "  *\n");
			skipped = true;
			continue;
		}
		skipped = false;
		strbuf_addf(sb, "  %04zx:", off);
		for (size_t k = 0; k < l; k++)
			strbuf_addf(sb, " %02x", b[off + k]);
		strbuf_addc(sb, '\n');
	}
}

static const char *op_name(unsigned op)
{
	static const char *const n[] = {
		"NONE", "EQ", "NEQ", "PREFIX", "NOT_PREFIX", "POSTFIX", "NOT_POSTFIX", "GT", "LT", "MASK",
		"IN_RANGE", "IN", "NOT_IN", "NOT_IN_RANGE", "IN_MAP", "NOT_IN_MAP", "ADDR", "NOT_ADDR", "PORT",
		"NOT_PORT", "PORT_PRIV", "NOT_PORT_PRIV", "NET_FIELD", "FILE_TYPE", "NOT_FILE_TYPE", "CAPS_GAINED",
		"SUBSTRING",
	};

	return op < sizeof(n) / sizeof(n[0]) ? n[op] : "?";
}

static const char *kind_name(unsigned k)
{
	static const char *const n[] = {
		"NONE", "INT", "STR_USER", "STR_KERNEL", "CHAR_ARRAY", "DATA_LOC", "FILE_PTR", "PATH_PTR",
		"BINPRM_PTR", "FD", "BUF_USER", "SOCKADDR_USER", "SYSCALL64", "IOVEC_USER", "DENTRY_PTR",
		"SOCK_PTR", "SOCKET_PTR", "SKB_PTR", "CRED_PTR", "USERNS_PTR", "BPF_ATTR_PTR", "BPF_PROG_PTR",
		"BPF_MAP_PTR", "PERF_EVENT_PTR", "MODULE_PTR", "LOAD_INFO_PTR", "NET_DEV_PTR",
	};

	return k < sizeof(n) / sizeof(n[0]) ? n[k] : "?";
}

static void dump_argf(struct strbuf *sb, const char *what, size_t j, const struct gt_argf *f)
{
	strbuf_addf(sb, "    %s[%zu]: slot=%u op=%s is_str=%u id=%u nvals=%u", what, j, f->slot, op_name(f->op),
		    f->is_str, f->id, f->nvals);
	for (unsigned k = 0; k < f->nvals && k < GT_MAX_VALS; k++)
		strbuf_addf(sb, " [%" PRId64 ",%" PRId64 "]", (int64_t)f->lo[k], (int64_t)f->hi[k]);
	/* the network side or field; FileType's type bits, CapabilitiesGained's other slot */
	if (f->net)
		strbuf_addf(sb, " net=%u", f->net);
	if (f->op == GT_OP_FILE_TYPE || f->op == GT_OP_NOT_FILE_TYPE || f->op == GT_OP_CAPS_GAINED)
		strbuf_addf(sb, " lo0=%#" PRIx64, (uint64_t)f->lo[0]);
	strbuf_addc(sb, '\n');
}

static void dump_inst(struct strbuf *sb, size_t n, const struct hook_inst *hi)
{
	const struct gt_prog_cfg *pc = hi->cfg;
	const struct gt_config *c = hi->sel;

	strbuf_addf(sb, "instance %zu: back-end %s, %s/%s, function %s", n, hi->be->name, hi->subsys, hi->event,
		    hi->function);
	for (size_t k = 0; k < hi->nfuncs; k++)
		strbuf_addf(sb, "%s%s", k ? "," : " funcs=", hi->funcs[k]);
	strbuf_addf(sb, "\n  has_return=%d ret_type=%s generated=%d", hi->has_return,
		    tp_arg_type_name(hi->ret_type), hi->generated);
	/* Override's mechanism (policy_override.c), when a selector overrides */
	if (hi->ovr)
		strbuf_addf(sb, " override=%s", policy_ovr_name(hi->ovr));
	strbuf_addc(sb, '\n');
	if (!pc || !c) {
		strbuf_addf(sb, "  not compiled\n");
		return;
	}
	strbuf_addf(sb, "gt_cfg: msg_op=%u nargs=%u has_return=%u raw_nargs=%u ret_size=%u ret_signed=%u\n",
		    pc->msg_op, pc->nargs, pc->has_return, pc->raw_nargs, pc->ret_size, pc->ret_signed);
	/* socket tracking and the return value's kind, when set */
	if (hi->xcfg && (hi->xcfg->ret_kind || hi->xcfg->ret_track || hi->xcfg->sel_track[0] ||
			 hi->xcfg->sel_track[1] || hi->xcfg->sel_track[2] || hi->xcfg->sel_track[3] ||
			 hi->xcfg->sel_track[4])) {
		strbuf_addf(sb, "gt_xcfg: ret_kind=%s ret_track=%u", kind_name(hi->xcfg->ret_kind), hi->xcfg->ret_track);
		for (unsigned i = 0; i < GT_MAX_SEL; i++)
			if (hi->xcfg->sel_track[i])
				strbuf_addf(sb, " sel[%u]: track=%u sock=%u", i, hi->xcfg->sel_track[i],
					    hi->xcfg->sel_sock[i]);
		strbuf_addc(sb, '\n');
	}
	for (unsigned i = 0; i < pc->nargs && i < GT_MAX_ARGS; i++) {
		const struct gt_arg_cfg *a = &pc->args[i];
		const struct gt_resolve *r = &pc->resolve[i];

		strbuf_addf(sb, "  args[%u]: %s offset=%u size=%u signed=%u flags=%#x size_off=%u reports %s\n", i,
			    kind_name(a->kind), a->offset, a->size, a->is_signed, a->flags, a->size_off,
			    tp_arg_type_name(hi->types[i]));
		/* member offsets are this kernel's (BTF): only their number is golden */
		if (r->n)
			strbuf_addf(sb, "    resolve: last=%s size=%u, %u offset(s)\n",
				    r->last == GT_RES_ADDR ? "ADDR" : "LOAD", r->size, r->n);
	}
	/* the hook id and the agent's pid are not the compiler's: zeroed in the bytes */
	{
		struct gt_prog_cfg copy = *pc;

		copy.hook_id = 0;
		copy.agent_tgid = 0;
		for (unsigned i = 0; i < GT_MAX_ARGS; i++)
			memset(copy.resolve[i].off, 0, sizeof(copy.resolve[i].off));
		strbuf_addf(sb, "gt_cfg bytes (hook_id, agent_tgid, resolve offsets zeroed):\n");
		hexdump(sb, &copy, sizeof(copy));
	}
	strbuf_addf(sb, "gt_config: nsel=%u", c->nsel);
	if (c->flags)
		strbuf_addf(sb, " flags=%#x", c->flags);
	strbuf_addc(sb, '\n');
	for (unsigned i = 0; i < c->nsel && i < GT_MAX_SEL; i++) {
		const struct gt_selector *s = &c->sel[i];

		strbuf_addf(sb, "  sel[%u]: post=%u action=%u sig=%u rate_ns=%" PRIu64 " rate_scope=%u pid_op=%s "
			    "pid_flags=%#x npids=%u", i, s->post, s->action, s->sig, (uint64_t)s->rate_ns, s->rate_scope,
			    op_name(s->pid_op), s->pid_flags, s->npids);
		for (unsigned k = 0; k < s->npids && k < GT_MAX_PIDS; k++)
			strbuf_addf(sb, " %u", s->pids[k]);
		if (s->override)
			strbuf_addf(sb, " override=%u err=%d", s->override, s->override_err);
		strbuf_addc(sb, '\n');
		if (s->bin.op)
			strbuf_addf(sb, "    bin: op=%s id=%u follow=%u\n", op_name(s->bin.op), s->bin.id, s->bin.follow);
		if (s->pbin.op)
			strbuf_addf(sb, "    pbin: op=%s id=%u\n", op_name(s->pbin.op), s->pbin.id);
		for (unsigned j = 0; j < s->nargf && j < GT_MAX_ARGF; j++)
			dump_argf(sb, "argf", j, &s->argf[j]);
		for (unsigned j = 0; j < s->nnsf && j < GT_MAX_NSF; j++)
			strbuf_addf(sb, "    nsf[%u]: ns=%u op=%s nvals=%u first=%u\n", j, s->nsf[j].ns,
				    op_name(s->nsf[j].op), s->nsf[j].nvals, s->nsf[j].vals[0]);
		for (unsigned j = 0; j < s->ncapf && j < GT_MAX_CAPF; j++)
			strbuf_addf(sb, "    capf[%u]: set=%u op=%s mask=%#" PRIx64 "%s%s\n", j, s->capf[j].set,
				    op_name(s->capf[j].op), (uint64_t)s->capf[j].mask, s->capf[j].chg ? " chg" : "",
				    s->capf[j].host_userns ? " host_userns" : "");
		if (s->nschg)
			strbuf_addf(sb, "    nschg: %#x\n", s->nschg);
		strbuf_addf(sb, "    return: post=%u action=%u sig=%u signed=%u nretf=%u\n", s->ret_post, s->ret_action,
			    s->ret_sig, s->ret_signed, s->nretf);
		for (unsigned j = 0; j < s->nretf && j < GT_MAX_RETF; j++)
			dump_argf(sb, "retf", j, &s->retf[j]);
	}
	strbuf_addf(sb, "gt_config bytes (header and %u selector(s)):\n", c->nsel);
	hexdump(sb, c, offsetof(struct gt_config, sel) + c->nsel * sizeof(c->sel[0]));
	for (size_t k = 0; k < hi->sm.nstrs; k++) {
		const struct sel_str *e = &hi->sm.strs[k];

		strbuf_addf(sb, "gt_strs: id=%u prefixlen=%u len=%u \"", e->key.id, e->key.prefixlen, e->val.len);
		for (uint32_t b = 0; b < (e->key.prefixlen / 8) - 1 && b < sizeof(e->key.s); b++) {
			unsigned char ch = e->key.s[b];

			if (isprint(ch) && ch != '"' && ch != '\\')
				strbuf_addc(sb, (char)ch);
			else
				strbuf_addf(sb, "\\x%02x", ch);
		}
		strbuf_addf(sb, "\"\n");
	}
	for (size_t k = 0; k < hi->sm.nints; k++)
		strbuf_addf(sb, "gt_ints: id=%u val=%" PRIu64 "\n", hi->sm.ints[k].id, (uint64_t)hi->sm.ints[k].val);
	if (hi->sm.rate_entries)
		strbuf_addf(sb, "gt_rate: %u entries\n", hi->sm.rate_entries);
}

/* ---- records ------------------------------------------------------------------- */

struct capture {
	struct event_sink base;
	struct strbuf out;
};

static int capture_write(struct event_sink *s, const Tetragon__GetEventsResponse *ev)
{
	struct capture *c = (struct capture *)s;

	assert_int_equal(protojson_encode(&c->out, &ev->base), 0);
	strbuf_addc(&c->out, '\n');
	return 0;
}

/* A quoted string with C escapes into buf; its length. */
static size_t unquote(const char *s, char *buf, size_t cap)
{
	size_t n = 0;

	if (*s++ != '"')
		return 0;
	while (*s && *s != '"' && n < cap) {
		if (*s == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) && isxdigit((unsigned char)s[3])) {
			char hex[3] = { s[2], s[3], 0 };

			buf[n++] = (char)strtoul(hex, NULL, 16);
			s += 4;
		} else if (*s == '\\' && s[1]) {
			buf[n++] = s[1] == 'n' ? '\n' : s[1] == '0' ? '\0' : s[1];
			s += 2;
		} else {
			buf[n++] = *s++;
		}
	}
	return n;
}

static void feed_exec(struct process_events *pe, char *line)
{
	char buf[8192], *tok, *save = NULL;
	struct msg_exec *m = (struct msg_exec *)buf;
	char *d = (char *)(m + 1);
	unsigned long pid, ppid;
	unsigned long long ktime, pktime;
	const char *bin;
	size_t fl, al = 0;

	memset(buf, 0, sizeof(buf));
	strtok_r(line, " ", &save);
	pid = strtoul(strtok_r(NULL, " ", &save), NULL, 0);
	ktime = strtoull(strtok_r(NULL, " ", &save), NULL, 0);
	ppid = strtoul(strtok_r(NULL, " ", &save), NULL, 0);
	pktime = strtoull(strtok_r(NULL, " ", &save), NULL, 0);
	bin = strtok_r(NULL, " \n", &save);
	fl = strlen(bin);
	memcpy(d, bin, fl);
	while ((tok = strtok_r(NULL, " \n", &save))) {
		size_t l = strlen(tok);

		if (al)
			d[fl + al++] = 0;
		memcpy(d + fl + al, tok, l);
		al += l;
	}
	memcpy(d + fl + al, "/root", 5);
	m->common.op = MSG_OP_EXECVE;
	m->self.pid = (uint32_t)pid;
	m->self.ktime = ktime;
	m->parent.pid = (uint32_t)ppid;
	m->parent.ktime = pktime;
	m->parent_pid = (uint32_t)ppid;
	m->tid = (uint32_t)pid;
	m->flags = EVENT_EXECVE;
	m->filename_len = (uint16_t)fl;
	m->args_len = (uint32_t)al;
	m->cwd_len = 5;
	m->common.size = (uint32_t)(sizeof(*m) + fl + al + 5);
	process_events_handle(pe, buf, m->common.size);
}

struct rec {
	struct msg_generic m;
	char data[GT_DATA_MAX];
};

/* Feed NAME.rec to the engine; the JSON of the events, one per line, into out. */
static void feed_records(struct policy_engine *e, const char *path, struct strbuf *out)
{
	struct process_cache_opts co = { .node_name = "golden", .view_free = process_view_free };
	struct capture cap = { .base = { .name = "capture", .write = capture_write }, .out = STRBUF_INIT };
	struct pipeline pl = { 0 };
	struct process_events pe = { .pipeline = &pl, .node_name = "golden" };
	char line[4096];
	struct rec r;
	const struct hook_inst *hi = NULL;
	unsigned nargs = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	pipeline_add_sink(&pl, &cap.base);
	assert_int_equal(process_cache_new(&pe.cache, &co), 0);
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (!strncmp(p, "exec ", 5)) {
			feed_exec(&pe, p);
		} else if (!strncmp(p, "record ", 7)) {
			unsigned inst, tgid, tid, action, sel;
			unsigned long long xk, kt;

			assert_int_equal(sscanf(p + 7, "%u %u %u %llu %llu %u %u", &inst, &tgid, &tid, &xk, &kt, &action,
						&sel), 7);
			assert_true(inst < e->ninst);
			hi = e->inst[inst];
			memset(&r, 0, sizeof(r));
			r.m.common.op = (uint8_t)hi->be->msg_op;
			r.m.common.ktime = kt;
			r.m.key.pid = tgid;
			r.m.key.ktime = xk;
			r.m.hook_id = hi->id;
			r.m.tid = tid;
			r.m.tgid = tgid;
			r.m.action = action;
			r.m.sel = sel;
			nargs = 0;
		} else if (!strncmp(p, "func ", 5)) {
			r.m.func_id = (uint32_t)strtoul(p + 5, NULL, 0);
		} else if (!strncmp(p, "ret ", 4)) {
			long long v;
			unsigned ra;

			assert_int_equal(sscanf(p + 4, "%lld %u", &v, &ra), 2);
			r.m.ret = v;
			r.m.ret_action = ra;
			r.m.flags |= GT_MSG_RETURN;
		} else if (!strncmp(p, "arg ", 4)) {
			struct gt_arg_val *a = &r.m.args[nargs];
			char *q = p + 4, *end;

			assert_true(hi && nargs < GT_MAX_ARGS);
			a->kind = hi->cfg ? hi->cfg->args[nargs].kind : 0;
			a->ival = strtoll(q, &end, 0);
			q = end;
			while (*q == ' ')
				q++;
			if (isdigit((unsigned char)*q)) {
				a->flags = (uint32_t)strtoul(q, &end, 0);
				q = end;
				while (*q == ' ')
					q++;
			}
			a->off = r.m.data_len;
			a->len = (uint32_t)unquote(q, r.data + r.m.data_len, sizeof(r.data) - r.m.data_len);
			r.m.data_len += a->len;
			nargs++;
		} else if (!strncmp(p, "chunk ", 6)) {
			static struct msg_gt_chunk c;
			unsigned slot, off, seq;
			int k = 0;

			assert_true(hi != NULL);
			assert_int_equal(sscanf(p + 6, "%u %u %u %n", &slot, &off, &seq, &k), 3);
			memset(&c, 0, sizeof(c));
			c.common.op = MSG_OP_DATA;
			c.common.size = sizeof(c);
			c.common.ktime = r.m.common.ktime;
			c.hook_id = r.m.hook_id;
			c.tid = r.m.tid;
			c.slot = slot;
			c.off = off;
			c.seq = seq;
			c.len = (uint32_t)unquote(p + 6 + k, c.data, sizeof(c.data));
			assert_int_equal(policy_engine_account(e, &c, sizeof(c)), 1);
			policy_engine_handle(e, &pe, &c, sizeof(c));
		} else if (!strncmp(p, "end", 3)) {
			size_t n = sizeof(r.m) + r.m.data_len;

			r.m.nargs = nargs;
			r.m.common.size = (uint32_t)n;
			assert_int_equal(policy_engine_account(e, &r, n), 1);
			policy_engine_handle(e, &pe, &r, n);
		} else {
			fail_msg("%s: unknown directive: %s", path, p);
		}
	}
	fclose(f);
	process_cache_free(pe.cache);
	strbuf_addf(out, "%s", cap.out.buf ? cap.out.buf : "");
	strbuf_free(&cap.out);
}

/* Times depend on this boot (ktime to wall clock): masked. */
static void mask_times(struct strbuf *sb)
{
	static const char *const keys[] = { "\"time\":\"", "\"start_time\":\"" };

	for (size_t k = 0; k < 2; k++) {
		char *p = sb->buf;

		while (p && (p = strstr(p, keys[k]))) {
			char *v = p + strlen(keys[k]), *end = strchr(v, '"');

			if (!end)
				break;
			memset(v, 'T', (size_t)(end - v));
			p = end;
		}
	}
}

/* Compare got with the file, or rewrite it (TG_GOLDEN_UPDATE=1). */
static void golden(const char *path, const struct strbuf *got)
{
	const char *text = got->buf ? got->buf : "";
	char want[1 << 16];
	size_t n = 0;
	FILE *f;

	if (getenv("TG_GOLDEN_UPDATE")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		return;
	}
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s (TG_GOLDEN_UPDATE=1 writes it)", path, strerror(errno));
	n = fread(want, 1, sizeof(want) - 1, f);
	fclose(f);
	want[n] = 0;
	if (strcmp(want, text)) {
		fprintf(stderr, "--- %s (expected)\n%s\n+++ got\n%s\n", path, want, text);
		fail_msg("%s differs from what the engine produced (TG_GOLDEN_UPDATE=1 rewrites it)", path);
	}
}

static void run_case(const char *name, bool needs_btf)
{
	struct policy_engine_opts o = { .tracefs = tracefs, .dry_run = true, .events_fd = -1, .execve_fd = -1 };
	struct policy_engine *e = NULL;
	struct strbuf sb = STRBUF_INIT, yaml = STRBUF_INIT;
	char path[512], why[4096], buf[4096];
	size_t n;
	FILE *f;

	if (needs_btf && access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	snprintf(path, sizeof(path), "%s/%s.yaml", GOLDEN_DIR, name);
	f = fopen(path, "r");
	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)))
		strbuf_add(&yaml, buf, n);
	fclose(f);
	assert_int_equal(policy_engine_open(&e, &o), 0);
	if (policy_engine_add_yaml(e, yaml.buf, yaml.len, NULL, why, sizeof(why)))
		fail_msg("%s: refused: %s", path, why);
	for (size_t i = 0; i < e->ninst; i++)
		dump_inst(&sb, i, e->inst[i]);
	snprintf(path, sizeof(path), "%s/%s.cfg", GOLDEN_DIR, name);
	golden(path, &sb);
	strbuf_reset(&sb);
	snprintf(path, sizeof(path), "%s/%s.rec", GOLDEN_DIR, name);
	feed_records(e, path, &sb);
	mask_times(&sb);
	snprintf(path, sizeof(path), "%s/%s.json", GOLDEN_DIR, name);
	golden(path, &sb);
	strbuf_free(&sb);
	strbuf_free(&yaml);
	policy_engine_close(e);
}

static void test_syscall_openat(void **state)
{
	(void)state;
	run_case("syscall_openat", false);
}

static void test_syscall_connect(void **state)
{
	(void)state;
	run_case("syscall_connect", false);
}

/* maxData: chunks joined into their record's argument, or the argument reported short of lost ones */
static void test_syscall_maxdata(void **state)
{
	(void)state;
	run_case("syscall_maxdata", false);
}

/* The same hooks on the syscall functions (syscall-attach kprobe, fentry): the same JSON. */
static void test_syscall_fn_openat(void **state)
{
	(void)state;
	run_case("syscall_fn_openat", false);
}

static void test_syscall_fn_connect(void **state)
{
	(void)state;
	run_case("syscall_fn_connect", true);
}

static void test_tracepoint(void **state)
{
	(void)state;
	run_case("tracepoint", false);
}

static void test_kprobe_fd_install(void **state)
{
	(void)state;
	run_case("kprobe_fd_install", true);
}

static void test_kprobe_data(void **state)
{
	(void)state;
	run_case("kprobe_data", true);
}

static void test_kprobe_list(void **state)
{
	(void)state;
	run_case("kprobe_list", true);
}

static void test_selector_changes(void **state)
{
	(void)state;
	run_case("selector_changes", false);
}

static void test_rawtp(void **state)
{
	(void)state;
	run_case("rawtp", true);
}

static void test_lsm_override(void **state)
{
	(void)state;
	run_case("lsm_override", true);
}

/* The action counters of records (ListTracingPolicies, metrics): applied, or not (monitor mode). */
static void test_action_counters(void **state)
{
	struct policy_engine_opts o = { .tracefs = tracefs, .dry_run = true, .events_fd = -1, .execve_fd = -1 };
	struct policy_engine *e = NULL;
	struct strbuf yaml = STRBUF_INIT;
	struct policy_status st;
	struct msg_generic m;
	char why[4096], buf[4096];
	size_t n;
	FILE *f;

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	f = fopen(GOLDEN_DIR "/lsm_override.yaml", "r");
	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)))
		strbuf_add(&yaml, buf, n);
	fclose(f);
	assert_int_equal(policy_engine_open(&e, &o), 0);
	if (policy_engine_add_yaml(e, yaml.buf, yaml.len, NULL, why, sizeof(why)))
		fail_msg("refused: %s", why);
	assert_int_equal(e->ninst, 2);
	memset(&m, 0, sizeof(m));
	m.common.op = MSG_OP_GENERIC_LSM;
	/* golden-lsm: selector 0 overrides, selector 1 kills */
	m.hook_id = e->inst[0]->id;
	m.sel = 0;
	m.action = GT_ACT_OVERRIDE;
	assert_int_equal(policy_engine_account(e, &m, sizeof(m)), 1);
	m.sel = 1;
	m.action = GT_ACT_SIGKILL;
	assert_int_equal(policy_engine_account(e, &m, sizeof(m)), 1);
	assert_int_equal(policy_engine_status(e, 0, &st), 0);
	assert_string_equal(st.name, "golden-lsm");
	assert_int_equal(st.actions.post, 2);
	assert_int_equal(st.actions.override, 1);
	assert_int_equal(st.actions.signal, 1);
	assert_int_equal(st.actions.monitor_override + st.actions.monitor_signal, 0);
	/* golden-lsm-monitor: reported as Override, not applied */
	m.hook_id = e->inst[1]->id;
	m.sel = 0;
	m.action = GT_ACT_OVERRIDE;
	assert_int_equal(policy_engine_account(e, &m, sizeof(m)), 1);
	assert_int_equal(policy_engine_status(e, 1, &st), 0);
	assert_true(st.monitor);
	assert_int_equal(st.actions.monitor_override, 1);
	assert_int_equal(st.actions.override, 0);
	strbuf_free(&yaml);
	policy_engine_close(e);
}

/* fentries with ignore.callNotFound: one instance per function, the hook's status partial, or not found */
static void test_fentry_call_not_found(void **state)
{
	static const char y[] =
		"apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata:\n  name: fe-missing\nspec:\n"
		"  lists:\n  - name: l\n    values: [vfs_read, tg_no_such_function]\n"
		"  fentries:\n  - call: list:l\n    syscall: false\n    ignore:\n      callNotFound: true\n"
		"  - call: tg_no_such_function\n    syscall: false\n    ignore:\n      callNotFound: true\n";
	struct policy_engine_opts o = { .tracefs = tracefs, .dry_run = true, .events_fd = -1, .execve_fd = -1 };
	struct policy_engine *e = NULL;
	struct policy_hook_status hs;
	char why[1024];

	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	assert_int_equal(policy_engine_open(&e, &o), 0);
	if (policy_engine_add_yaml(e, y, strlen(y), NULL, why, sizeof(why)))
		fail_msg("refused: %s", why);
	assert_int_equal(policy_engine_hook(e, 0, 0, &hs), 0);
	assert_true(hs.loaded);
	assert_true(hs.partial_call_not_found);
	assert_false(hs.call_not_found);
	assert_string_equal(hs.attached, "fentry on vfs_read");
	assert_int_equal(policy_engine_hook(e, 0, 1, &hs), 0);
	assert_false(hs.loaded);
	assert_true(hs.call_not_found);
	assert_false(hs.partial_call_not_found);
	policy_engine_close(e);
}

static void test_kprobe_override(void **state)
{
	(void)state;
	run_case("kprobe_override", true);
}

static void test_fentry(void **state)
{
	(void)state;
	run_case("fentry", true);
}

static void test_sock_track(void **state)
{
	(void)state;
	run_case("sock_track", true);
}

static void test_kernel_structs(void **state)
{
	(void)state;
	run_case("kernel_structs", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syscall_openat),
		cmocka_unit_test(test_syscall_fn_openat),
		cmocka_unit_test(test_syscall_fn_connect),
		cmocka_unit_test(test_syscall_connect),
		cmocka_unit_test(test_syscall_maxdata),
		cmocka_unit_test(test_tracepoint),
		cmocka_unit_test(test_kprobe_fd_install),
		cmocka_unit_test(test_kprobe_data),
		cmocka_unit_test(test_kprobe_list),
		cmocka_unit_test(test_rawtp),
		cmocka_unit_test(test_selector_changes),
		cmocka_unit_test(test_lsm_override),
		cmocka_unit_test(test_action_counters),
		cmocka_unit_test(test_kprobe_override),
		cmocka_unit_test(test_fentry),
		cmocka_unit_test(test_fentry_call_not_found),
		cmocka_unit_test(test_kernel_structs),
		cmocka_unit_test(test_sock_track),
	};

	return cmocka_run_group_tests_name("policy_golden", tests, setup, teardown);
}
