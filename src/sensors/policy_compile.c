// SPDX-License-Identifier: Apache-2.0
/* A policy hook compiled into the generic program's rodata and selector map. */
#include "sensors/policy_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "event/process_events.h"
#include "generic_tracepoint.skel.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "kernel/bpf_errors.h"
#include "policy/policy.h"
#include "tetragon/tetragon.pb-c.h"
#include "util/ktime.h"
#include "tracing/tp_format.h"
#include "util/log.h"
#include "util/strbuf.h"

bool policy_int_type(enum tp_arg_type t, unsigned *size, bool *sgn)
{
	switch (t) {
	case TP_ARG_INT: case TP_ARG_INT32: case TP_ARG_FD: case TP_ARG_CAPABILITY: *size = 4; *sgn = true; return true;
	case TP_ARG_UINT32: *size = 4; *sgn = false; return true;
	case TP_ARG_INT8: *size = 1; *sgn = true; return true;
	case TP_ARG_UINT8: *size = 1; *sgn = false; return true;
	case TP_ARG_INT16: *size = 2; *sgn = true; return true;
	case TP_ARG_UINT16: *size = 2; *sgn = false; return true;
	case TP_ARG_INT64: *size = 8; *sgn = true; return true;
	case TP_ARG_UINT64: case TP_ARG_SIZE_T: *size = 8; *sgn = false; return true;
	/* capability sets: a u64 (kernel_cap_t since 6.3; two u32 before, in the same order) */
	case TP_ARG_KERNEL_CAP_T: case TP_ARG_CAP_INHERITABLE: case TP_ARG_CAP_PERMITTED:
	case TP_ARG_CAP_EFFECTIVE: *size = 8; *sgn = false; return true;
	default: return false;
	}
}

/* Argument layout of one instance into rodata; returns a reason or NULL. */
const char *policy_compile_args(struct hook_inst *hi, struct generic_tracepoint_bpf *skel,
				const char *tracefs, char *why, size_t len)
{
	const struct tp_hook *h = hi->h;
	bool sys = !strcmp(hi->subsys, "syscalls") || hi->generated;
	struct tp_format *f = malloc(sizeof(*f));
	int err;

	if (!f)
		return "out of memory";
	err = tp_format_load(tracefs, hi->subsys, hi->event, f);
	if (err) {
		snprintf(why, len, "tracepoint %s/%s: %s", hi->subsys, hi->event, strerror(-err));
		free(f);
		return why;
	}
	if (hi->generated)
		policy_raw_syscall_args(f);
	if (h->nargs > GT_MAX_ARGS) {
		snprintf(why, len, "%zu arguments: at most %d are supported yet", h->nargs, GT_MAX_ARGS);
		free(f);
		return why;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		const struct tp_field *fl = policy_tp_field(f, h, h->args[i].index);
		struct gt_arg_cfg *c = (struct gt_arg_cfg *)&skel->rodata->args_cfg[i];
		enum tp_arg_type t = h->args[i].type;
		unsigned sz;
		bool sg;

		if (!fl) {
			snprintf(why, len, "line %u: argument index %u out of range", h->args[i].pos.line,
				 h->args[i].index);
			free(f);
			return why;
		}
		c->offset = (uint16_t)fl->offset;
		c->size = (uint8_t)(fl->size > 255 ? 255 : fl->size);
		if (t == TP_ARG_FD) {
			/* the path is resolved through the task's fd table */
			c->kind = GT_ARG_FD;
			c->is_signed = 1;
		} else if (t == TP_ARG_SYSCALL64) {
			c->kind = GT_ARG_SYSCALL64;
		} else if (t == TP_ARG_SOCKADDR || t == TP_ARG_SOCKADDR_UN || t == TP_ARG_CHAR_IOVEC ||
			   /* user buffers of syscalls; other char_buf read as strings */
			   (t == TP_ARG_CHAR_BUF && sys && (h->args[i].size_arg_index || h->args[i].return_copy))) {
			if (!fl->pointer && fl->size != 8) {
				snprintf(why, len, "line %u: type %s needs a pointer field, %s is %s",
					 h->args[i].pos.line, tp_arg_type_name(t), fl->name, fl->type);
				free(f);
				return why;
			}
			c->kind = t == TP_ARG_CHAR_BUF ? GT_ARG_BUF_USER :
				  t == TP_ARG_CHAR_IOVEC ? GT_ARG_IOVEC_USER : GT_ARG_SOCKADDR_USER;
			if (t == TP_ARG_CHAR_IOVEC && (!sys || !h->args[i].size_arg_index)) {
				snprintf(why, len, "line %u: char_iovec needs sizeArgIndex (the 1-based index of "
					 "the iovec count) on a syscall", h->args[i].pos.line);
				free(f);
				return why;
			}
			if (t != TP_ARG_CHAR_BUF && t != TP_ARG_CHAR_IOVEC) {
				/* a syscall's socklen_t follows its sockaddr (connect, bind, sendto) */
				const struct tp_field *nf = sys ? policy_tp_field(f, h, h->args[i].index + 1) : NULL;

				if (nf && !nf->pointer && !strchr(nf->type, '*') && nf->size >= 4) {
					c->flags |= GT_ARGF_SIZE_ARG;
					c->size_off = (uint16_t)nf->offset;
				}
			} else if (h->args[i].return_copy && t == TP_ARG_CHAR_BUF) {
				c->flags |= GT_ARGF_RETURN_COPY;
			} else {
				/* sizeArgIndex is 1-based, as upstream's */
				const struct tp_field *sf = policy_tp_field(f, h, h->args[i].size_arg_index - 1);

				if (!sf || (sf->size != 4 && sf->size != 8)) {
					snprintf(why, len, "line %u: sizeArgIndex %u does not name an integer argument",
						 h->args[i].pos.line, h->args[i].size_arg_index);
					free(f);
					return why;
				}
				c->flags |= GT_ARGF_SIZE_ARG | (sf->size == 4 ? GT_ARGF_SIZE32 : 0);
				c->size_off = (uint16_t)sf->offset;
				/* readv: the iovecs are filled by the syscall */
				if (h->args[i].return_copy)
					c->flags |= GT_ARGF_RETURN_COPY;
			}
		} else if (policy_int_type(t, &sz, &sg)) {
			c->kind = GT_ARG_INT;
			c->size = (uint8_t)(sz < fl->size ? sz : fl->size);
			c->is_signed = sg;
		} else if (t == TP_ARG_DATA_LOC || fl->data_loc) {
			c->kind = GT_ARG_DATA_LOC;
			t = TP_ARG_STRING;
		} else if (fl->char_array) {
			c->kind = GT_ARG_CHAR_ARRAY;
			t = TP_ARG_STRING;
		} else if (t == TP_ARG_STRING || t == TP_ARG_CHAR_BUF ||
			   (t == TP_ARG_AUTO && fl->pointer && strstr(fl->type, "char"))) {
			c->kind = sys ? GT_ARG_STR_USER : GT_ARG_STR_KERNEL;
			t = TP_ARG_STRING;
		} else if (t == TP_ARG_AUTO || t == TP_ARG_NOP) {
			c->kind = GT_ARG_INT;
			c->size = (uint8_t)(fl->size > 8 ? 8 : fl->size);
			c->is_signed = fl->is_signed;
			if (fl->size == 8)
				t = fl->is_signed ? TP_ARG_INT64 : TP_ARG_UINT64;
			else
				t = fl->is_signed ? TP_ARG_INT : TP_ARG_UINT32;
		} else {
			snprintf(why, len, "line %u: type %s is not supported", h->args[i].pos.line,
				 tp_arg_type_name(t));
			free(f);
			return why;
		}
		hi->types[i] = t;
		hi->is_signed[i] = c->is_signed;
		hi->size[i] = c->size;
	}
	free(f);
	skel->rodata->nargs = (uint32_t)h->nargs;
	return NULL;
}

/* In-flight calls a return probe instance can hold (LRU: the oldest go first). */
#define RET_ENTRIES 1024

const char *policy_return_prepare(struct hook_inst *hi, struct generic_tracepoint_bpf *skel, const char *tracefs,
				  char *why, size_t len)
{
	const struct tp_hook *h = hi->h;
	struct tp_format *f;
	char ev[128];
	int err;

	hi->ret_type = TP_ARG_NOP;
	hi->has_return = h->kind == TP_HOOK_KPROBE && h->ret;
	for (size_t i = 0; i < h->nargs; i++)
		if (h->args[i].return_copy)
			hi->has_return = true;
	if (!hi->has_return) {
		bpf_program__set_autoload(skel->progs.generic_tracepoint_exit, false);
		return NULL;
	}
	if (h->kind != TP_HOOK_KPROBE) {
		snprintf(why, len, "returnCopy needs a return probe: only syscall kprobes have one here");
		return why;
	}
	if (h->ret && h->return_arg) {
		unsigned sz;
		bool sg;

		hi->ret_type = h->return_arg->type;
		if (hi->ret_type == TP_ARG_AUTO || hi->ret_type == TP_ARG_FD)
			hi->ret_type = TP_ARG_INT;
		if (!policy_int_type(hi->ret_type, &sz, &sg)) {
			snprintf(why, len, "line %u: returnArg type %s is not supported (integer types are)",
				 h->return_arg->pos.line, tp_arg_type_name(hi->ret_type));
			return why;
		}
	}
	f = malloc(sizeof(*f));
	if (!f)
		return "out of memory";
	snprintf(ev, sizeof(ev), "sys_exit_%s", hi->event + strlen("sys_enter_"));
	err = tp_format_load(tracefs, hi->subsys, ev, f);
	if (err) {
		snprintf(why, len, "return probe: tracepoint %s/%s: %s", hi->subsys, ev, strerror(-err));
		free(f);
		return why;
	}
	for (size_t i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].name, "ret") && f->fields[i].size == 8)
			skel->rodata->ret_offset = (uint32_t)f->fields[i].offset;
	free(f);
	skel->rodata->has_return = 1;
	if (bpf_map__set_max_entries(skel->maps.gt_ret, RET_ENTRIES)) {
		snprintf(why, len, "sizing gt_ret: %s", strerror(errno));
		return why;
	}
	return NULL;
}

const char *policy_return_attach(const struct policy_engine *e, struct hook_inst *hi,
				 struct generic_tracepoint_bpf *skel, char *why, size_t len)
{
	char ev[128], what[256];

	if (!hi->has_return)
		return NULL;
	snprintf(ev, sizeof(ev), "sys_exit_%s", hi->event + strlen("sys_enter_"));
	hi->link_ret = bpf_program__attach_tracepoint(skel->progs.generic_tracepoint_exit, hi->subsys, ev);
	if (!hi->link_ret) {
		int err = errno;

		snprintf(what, sizeof(what), "attaching the return probe to tracepoint %s/%s", hi->subsys, ev);
		return policy_attach_failed(e, hi->subsys, ev, err, why, len, what);
	}
	return NULL;
}

