// SPDX-License-Identifier: Apache-2.0
/*
 * Back-end "uprobe" ("uprobes:" hooks): one generic_uprobe object per
 * (path, symbol) or (path, offset), with the hook's arguments read from the
 * probed function's registers and the selectors of every generic program.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "generic_uprobe.skel.h"
#include "sensors/core_btf.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
#include "sensors/policy_internal.h"
#include "sensors/uprobe_digest.h"
#include "util/log.h"
#include "util/strbuf.h"

/*
 * The file offset of virtual address addr of the ELF file path (addrs:
 * upstream's semantics): through the loadable segment that maps it.
 */
int uprobe_addr_offset(const char *path, uint64_t addr, uint64_t *off, char *why, size_t len)
{
	size_t n = 0;
	int fd, err = -ENOENT;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EIO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, len, "uprobe path %s: %s", path, strerror(-err));
		return err;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_getphdrnum(e, &n)) {
		snprintf(why, len, "uprobe path %s is not an ELF file", path);
		err = -ENOEXEC;
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && addr >= ph.p_vaddr &&
		    addr < ph.p_vaddr + ph.p_filesz) {
			*off = addr - ph.p_vaddr + ph.p_offset;
			err = 0;
			break;
		}
	}
	if (err == -ENOENT)
		snprintf(why, len, "uprobe: address %#llx is in no loadable segment of %s",
			 (unsigned long long)addr, path);
	elf_end(e);
	close(fd);
	return err;
}

static const char *check(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h, char *why,
			 size_t len)
{
	struct stat st;

	(void)e;
	(void)p;
	if (!h->path || stat(h->path, &st)) {
		snprintf(why, len, "uprobe path %s: %s", h->path ? h->path : "(none)",
			 h->path ? strerror(errno) : "missing");
		return why;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "uprobe path %s is not a regular file", h->path);
		return why;
	}
	/*
	 * binaryDigests: a file none of them names refuses the policy, or with
	 * ignore.digestVerificationFailure only skips this hook (at attach).
	 */
	if (h->ndigests && !h->ignore_digest_failure && uprobe_digest_match(h->path, h->digests, h->ndigests,
									     why, len) != 1)
		return why;
	if (h->nref_ctr_offsets && h->naddrs && h->naddrs != h->nref_ctr_offsets) {
		snprintf(why, len, "uprobe on %s: refCtrOffsets has %zu entries but addrs has %zu", h->path,
			 h->nref_ctr_offsets, h->naddrs);
		return why;
	}
	for (size_t i = 0; i < h->naddrs; i++) {
		uint64_t off;

		if (uprobe_addr_offset(h->path, h->addrs[i], &off, why, len))
			return why;
	}
	if (h->ret && !h->return_arg) {
		snprintf(why, len, "line %u: return: true needs a returnArg", h->pos.line);
		return why;
	}
	if (h->ret && h->return_arg) {
		unsigned sz;
		bool sg;

		if (h->return_arg->type == TP_ARG_STRING) {
			/* the string is read into the slot after the args */
			if (h->nargs >= GT_MAX_ARGS) {
				snprintf(why, len, "line %u: a string returnArg needs a free argument slot: at "
					 "most %d args with it", h->return_arg->pos.line, GT_MAX_ARGS - 1);
				return why;
			}
		} else if (h->return_arg->type != TP_ARG_AUTO && !policy_int_type(h->return_arg->type, &sz, &sg)) {
			snprintf(why, len, "line %u: uprobe returnArg type %s is not supported (integer types "
				 "and string are)", h->return_arg->pos.line, tp_arg_type_name(h->return_arg->type));
			return why;
		}
	}
	if (h->has_return_arg_action) {
		snprintf(why, len, "line %u: returnArgAction (TrackSock/UntrackSock) applies to kernel socket "
			 "functions, not to uprobes", h->pos.line);
		return why;
	}
	if (!h->nsymbols && !h->noffsets && !h->naddrs) {
		snprintf(why, len, "uprobe on %s: no symbols, offsets or addrs", h->path);
		return why;
	}
	if (h->nargs > GT_MAX_ARGS) {
		snprintf(why, len, "uprobe on %s: %zu arguments: at most %d are supported", h->path, h->nargs,
			 GT_MAX_ARGS);
		return why;
	}
	for (size_t i = 0; i < h->nargs; i++) {
		const struct tp_arg *a = &h->args[i];
		unsigned sz;
		bool sg;

		if (a->index > 5) {
			snprintf(why, len, "line %u: uprobe argument index %u: only the first 6 (register) "
				 "arguments can be read", a->pos.line, a->index);
			return why;
		}
		if (a->return_copy) {
			snprintf(why, len, "line %u: uprobe argument returnCopy is not supported yet", a->pos.line);
			return why;
		}
		if (a->resolve) {
			/* every symbol's prototype (no btfType) must type it */
			for (size_t k = 0; k < (h->nsymbols ? h->nsymbols : 1); k++) {
				struct gt_arg_cfg c;
				struct gt_resolve r;
				enum tp_arg_type rep;
				const char *fn = h->nsymbols ? h->symbols[k] : NULL;
				char what[160];

				snprintf(what, sizeof(what), "uprobe %s", fn ? fn : "(offset)");
				if (policy_btf_user_arg(h, i, fn, what, &c, &r, &rep, why, len))
					return why;
			}
			continue;
		}
		if (!policy_int_type(a->type, &sz, &sg) && a->type != TP_ARG_STRING) {
			snprintf(why, len, "line %u: uprobe argument type %s is not supported yet (integers and "
				 "string are)", a->pos.line, tp_arg_type_name(a->type));
			return why;
		}
	}
	return NULL;
}

/*
 * name: the symbol; NULL: at offset (an address of addrs: its file offset is
 * computed at attach). ref_ctr: refCtrOffsets' entry for it (0: none).
 */
static const char *add(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h, const char *name,
		       uint64_t offset, uint64_t ref_ctr, char *why, size_t len)
{
	struct hook_inst *hi;

	/* names must fit whole: a cut symbol would probe another function */
	if (name && strlen(name) >= sizeof(hi->function)) {
		snprintf(why, len, "symbol %s is longer than this agent supports", name);
		return why;
	}
	hi = policy_inst_new(e, p, h, &policy_be_uprobe);
	if (!hi)
		return "out of memory";
	snprintf(hi->function, sizeof(hi->function), "%s", name ? name : "");
	hi->uprobe_offset = offset;
	hi->ref_ctr_offset = ref_ctr;
	/* names the instance in logs and stats */
	snprintf(hi->subsys, sizeof(hi->subsys), "uprobe");
	if (name)
		snprintf(hi->event, sizeof(hi->event), "%s", name);
	else
		snprintf(hi->event, sizeof(hi->event), "%#llx", (unsigned long long)offset);
	/* upstream reports an address of addrs by its file offset */
	if (h->naddrs && !name && uprobe_addr_offset(h->path, hi->uprobe_offset, &hi->uprobe_offset, why, len)) {
		free(hi);
		return why;
	}
	if (h->ndigests && uprobe_digest_match(h->path, h->digests, h->ndigests, why, len) != 1) {
		/* check() let it through: ignore.digestVerificationFailure */
		log_warn("tracing policy %s: uprobe %s %s not attached: %s (ignore.digestVerificationFailure)",
			 p->name, h->path, name ? name : "(offset)", why);
		hi->skipped = true;
	}
	return policy_inst_attach(e, hi, why, len);
}

static const char *instances(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h, char *why,
			     size_t len)
{
	const char *bad = NULL;

	/* refCtrOffsets pairs with the symbols, offsets or addrs by position */
#define REF(k) ((k) < h->nref_ctr_offsets ? h->ref_ctr_offsets[k] : 0)
	for (size_t k = 0; k < h->nsymbols && !bad; k++)
		bad = add(e, p, h, h->symbols[k], 0, REF(k), why, len);
	for (size_t k = 0; k < h->noffsets && !bad; k++)
		bad = add(e, p, h, NULL, h->offsets[k], REF(k), why, len);
	for (size_t k = 0; k < h->naddrs && !bad; k++)
		bad = add(e, p, h, NULL, h->addrs[k], REF(k), why, len);
#undef REF
	return bad;
}

/* Calls in flight a return probe instance holds (LRU: the oldest go first), as for syscalls. */
#define RET_ENTRIES 1024

static struct gt_prog_cfg *open_obj(struct hook_inst *hi, char *why, size_t len)
{
	struct generic_uprobe_bpf *skel = CORE_BTF_OPEN(generic_uprobe);

	if (!skel) {
		snprintf(why, len, "opening the BPF object: %s", strerror(errno));
		return NULL;
	}
	hi->skel = skel;
	hi->obj = skel->obj;
	hi->xcfg = (struct gt_xcfg *)&skel->rodata->gt_xcfg;
	return (struct gt_prog_cfg *)&skel->rodata->gt_cfg;
}

static const char *prepare(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_uprobe_bpf *skel = hi->skel;
	const struct tp_hook *h = hi->h;

	(void)e;
	for (size_t i = 0; i < h->nargs; i++) {
		struct gt_arg_cfg *c = &hi->cfg->args[i];
		enum tp_arg_type t = h->args[i].type;
		unsigned sz = 8;
		bool sg = false;

		c->offset = (uint16_t)h->args[i].index;
		if (h->args[i].resolve) {
			char what[160];

			/* the binary's BTF types the walk (btfPath): offsets for the program */
			snprintf(what, sizeof(what), "uprobe %s", hi->function[0] ? hi->function : hi->event);
			if (policy_btf_user_arg(h, i, hi->function[0] ? hi->function : NULL, what, c,
						&hi->cfg->resolve[i], &t, why, len))
				return why;
			hi->types[i] = t;
			hi->is_signed[i] = c->is_signed;
			hi->size[i] = c->size;
			continue;
		}
		if (policy_int_type(t, &sz, &sg)) {
			c->kind = GT_ARG_INT;
			c->size = (uint8_t)sz;
			c->is_signed = sg;
		} else {
			c->kind = GT_ARG_STR_USER;
			c->size = 8;
			t = TP_ARG_STRING;
		}
		hi->types[i] = t;
		hi->is_signed[i] = sg;
		hi->size[i] = sz;
	}
	hi->cfg->nargs = (uint32_t)h->nargs;
	/* return: true: a uretprobe on the same function completes the record */
	hi->ret_type = TP_ARG_NOP;
	hi->has_return = h->ret && h->return_arg;
	if (!hi->has_return) {
		bpf_program__set_autoload(skel->progs.generic_uretprobe, false);
		return NULL;
	}
	hi->ret_type = h->return_arg->type == TP_ARG_AUTO ? TP_ARG_INT : h->return_arg->type;
	hi->cfg->has_return = 1;
	skel->rodata->ret_str = hi->ret_type == TP_ARG_STRING;
	if (bpf_map__set_max_entries(skel->maps.gt_ret, RET_ENTRIES)) {
		snprintf(why, len, "sizing gt_ret: %s", strerror(errno));
		return why;
	}
	return NULL;
}

static int load(struct hook_inst *hi)
{
	return generic_uprobe_bpf__load(hi->skel);
}

static const char *attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct generic_uprobe_bpf *skel = hi->skel;
	struct bpf_link *l;
	int err;

	uo.func_name = hi->function[0] ? hi->function : NULL;
	/* refCtrOffsets: the kernel counts this semaphore up while the probe is attached */
	uo.ref_ctr_offset = (size_t)hi->ref_ctr_offset;
	/* every process (pid -1) that maps the file */
	l = bpf_program__attach_uprobe_opts(skel->progs.generic_uprobe, -1, hi->h->path, hi->uprobe_offset, &uo);
	if (!l) {
		err = -errno;
		if (err == -E2BIG) {
			char what[512];

			snprintf(what, sizeof(what), "uprobe: %s %s", hi->h->path, hi->event);
			return policy_attach_failed(e, "uprobe", hi->event, -err, why, len, what);
		}
		if (hi->function[0])
			snprintf(why, len, "uprobe: %s has no function %s (or it cannot be probed: %s)",
				 hi->h->path, hi->function, strerror(-err));
		else
			snprintf(why, len, "uprobe: %s offset %#llx: %s", hi->h->path,
				 (unsigned long long)hi->uprobe_offset, strerror(-err));
		return why;
	}
	if (policy_inst_link(hi, l))
		return "out of memory";
	if (hi->has_return) {
		uo.retprobe = true;
		l = bpf_program__attach_uprobe_opts(skel->progs.generic_uretprobe, -1, hi->h->path,
						    hi->uprobe_offset, &uo);
		if (!l) {
			snprintf(why, len, "uprobe: return probe on %s %s: %s", hi->h->path,
				 hi->function[0] ? hi->function : "(offset)", strerror(errno));
			return why;
		}
		if (policy_inst_link(hi, l))
			return "out of memory";
	}
	return NULL;
}

static void destroy(struct hook_inst *hi)
{
	generic_uprobe_bpf__destroy(hi->skel);
}

static void describe(const struct hook_inst *hi, struct strbuf *sb)
{
	if (hi->function[0])
		strbuf_addf(sb, "%s", hi->function);
	else
		strbuf_addf(sb, "offset %#llx", (unsigned long long)hi->uprobe_offset);
	if (hi->has_return)
		strbuf_addf(sb, ", with return probe");
}

const struct policy_backend policy_be_uprobe = {
	.name = "uprobe",
	.section = TP_HOOK_UPROBE,
	.msg_op = MSG_OP_GENERIC_UPROBE,
	.event = POLICY_EV_UPROBE,
	.sensor = "generic_uprobe",
	.label = "uprobe",
	.returns = true,
	.check = check,
	.instances = instances,
	.open = open_obj,
	.prepare = prepare,
	.load = load,
	.attach = attach,
	.destroy = destroy,
	.describe = describe,
};
