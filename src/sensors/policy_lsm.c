// SPDX-License-Identifier: Apache-2.0
/*
 * Back-end "bpf lsm" ("lsmhooks:"): one generic_lsm object per hook,
 * attached to the kernel's bpf_lsm_<hook>. The hook's arguments are typed
 * from that function's BTF prototype (the security_<hook> arguments);
 * selectors and actions as every generic program; Override is the
 * program's return value (policy_override.c). Records become process_lsm
 * events whose function_name is the hook.
 *
 * BPF LSM programs run only where "bpf" is among the active LSMs (the
 * kernel's lsm= list, /sys/kernel/security/lsm): a hook is refused
 * elsewhere, saying how to enable it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "generic_lsm.skel.h"
#include "kernel/features.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
#include "sensors/policy_internal.h"
#include "util/log.h"
#include "util/strbuf.h"

#define LSM_LIST "/sys/kernel/security/lsm"
#define MAX_ERRNO 4095

static const char *lsm_list = LSM_LIST;

void policy_lsm_list_override(const char *path)
{
	lsm_list = path ? path : LSM_LIST;
}

/*
 * The active LSMs ("lockdown,capability,yama,apparmor") into buf: 0, or
 * -errno when the list cannot be read (securityfs not mounted).
 */
static int active_lsms(char *buf, size_t len)
{
	FILE *f = fopen(lsm_list, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static bool has_bpf(const char *list)
{
	char tmp[512], *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", list);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(t, "bpf"))
			return true;
	return false;
}

/* Can this kernel run BPF LSM programs? A reason (what is missing, how to enable it) or NULL. */
static const char *bpf_lsm_ok(const struct tp_hook *h, char *why, size_t len)
{
	char list[512], fwhy[256];
	bool ok = policy_feature(KF_BPF_LSM, fwhy, sizeof(fwhy));

	if (!active_lsms(list, sizeof(list)) && !has_bpf(list)) {
		snprintf(why, len, "lsmhooks %s: BPF LSM is not active on this kernel: %s lists \"%s\", without bpf; "
			 "boot with lsm=%s%sbpf on the kernel command line (the kernel needs CONFIG_BPF_LSM=y)%s%s",
			 h->hook, lsm_list, list, list, *list ? "," : "", ok ? "" : "; ", ok ? "" : fwhy);
		return why;
	}
	if (!ok) {
		snprintf(why, len, "lsmhooks %s: this kernel cannot run BPF LSM programs: %s", h->hook, fwhy);
		return why;
	}
	return NULL;
}

/* The hook's typed arguments (bpf_lsm_<hook> in the kernel's BTF); a reason or NULL. */
static const char *hook_btf(const struct tp_hook *h, struct btf_hook *bh, char *why, size_t len)
{
	char name[160], tmp[256];
	int err;

	if (strlen(h->hook) >= sizeof(((struct hook_inst *)0)->function)) {
		snprintf(why, len, "line %u: lsm hook %s: longer than this agent supports", h->pos.line, h->hook);
		return why;
	}
	snprintf(name, sizeof(name), "bpf_lsm_%s", h->hook);
	err = policy_btf_func(name, bh, tmp, sizeof(tmp));
	if (err == -ENOENT) {
		snprintf(why, len, "line %u: lsm hook %s does not exist on this kernel (its BTF has no %s); the "
			 "hooks are the LSM_HOOK names of include/linux/lsm_hook_defs.h, without security_",
			 h->pos.line, h->hook, name);
		return why;
	}
	if (err) {
		snprintf(why, len, "line %u: lsm hook %s: %s", h->pos.line, h->hook, tmp);
		return why;
	}
	snprintf(bh->what, sizeof(bh->what), "lsm hook %s", h->hook);
	return NULL;
}

/* Override on an LSM hook: its verdict is 0 or -errno; a hook returning nothing has none. */
static const char *check_override(const struct tp_hook *h, const struct btf_hook *bh, char *why, size_t len)
{
	for (size_t i = 0; i < h->nselectors; i++) {
		const struct tp_selector *s = &h->selectors[i];

		for (size_t j = 0; j < s->nactions; j++) {
			const struct tp_action *a = &s->actions[j];

			if (a->type != TP_ACTION_OVERRIDE)
				continue;
			if (!bh->ret.type_id) {
				snprintf(why, len, "line %u: lsm hook %s returns nothing: Override cannot fail it "
					 "(hooks returning int can)", a->pos.line, h->hook);
				return why;
			}
			if (a->arg_error > 0 || a->arg_error < -MAX_ERRNO) {
				snprintf(why, len, "line %u: argError %d: an LSM hook's verdict is 0 or a negative "
					 "errno (-%d..-1), as -1 (EPERM) or -13 (EACCES)", a->pos.line, (int)a->arg_error,
					 MAX_ERRNO);
				return why;
			}
		}
	}
	return NULL;
}

static const char *check(struct policy_engine *e, const struct tp_policy *p, const struct tp_hook *h, char *why,
			 size_t len)
{
	struct btf_hook bh;

	(void)e;
	(void)p;
	if (h->ndata) {
		snprintf(why, len, "line %u: lsm hook %s: data: is not supported on lsmhooks yet", h->pos.line, h->hook);
		return why;
	}
	if (hook_btf(h, &bh, why, len) || bpf_lsm_ok(h, why, len) ||
	    policy_btf_layout(h, &bh, bh.what, NULL, NULL, why, len))
		return why;
	return check_override(h, &bh, why, len);
}

static const char *instances(struct policy_engine *e, struct tp_policy *p, const struct tp_hook *h, char *why,
			     size_t len)
{
	struct hook_inst *hi = policy_inst_new(e, p, h, &policy_be_lsm);

	if (!hi)
		return "out of memory";
	snprintf(hi->subsys, sizeof(hi->subsys), "lsm");
	snprintf(hi->event, sizeof(hi->event), "%s", h->hook);
	snprintf(hi->function, sizeof(hi->function), "%s", h->hook);
	hi->ovr = policy_hook_overrides(h) ? POLICY_OVR_LSM : POLICY_OVR_NONE;
	return policy_inst_attach(e, hi, why, len);
}

static struct gt_prog_cfg *open_obj(struct hook_inst *hi, char *why, size_t len)
{
	/* libbpf reads the kernel's full BTF for the attach target anyway: no CO-RE stand-in */
	struct generic_lsm_bpf *skel = generic_lsm_bpf__open();

	return POLICY_OPENED(hi, skel, why, len);
}

/*
 * Upstream's hooks whose file Post imaHash hashes: IMA_FILE (the struct
 * file * first argument) or IMA_BPRM (the linux_binprm's file); others
 * none (upstream loads them without the hash, warning).
 */
enum { IMA_NONE, IMA_FILE, IMA_BPRM };

static int ima_source(const char *hook)
{
	static const char *const bprm[] = { "bprm_check_security", "bprm_committed_creds", "bprm_committing_creds",
					    "bprm_creds_for_exec", "bprm_creds_from_file" };
	static const char *const file[] = { "file_ioctl", "file_lock", "file_open", "file_post_open", "file_receive",
					    "mmap_file" };

	for (size_t i = 0; i < sizeof(bprm) / sizeof(bprm[0]); i++)
		if (!strcmp(hook, bprm[i]))
			return IMA_BPRM;
	for (size_t i = 0; i < sizeof(file) / sizeof(file[0]); i++)
		if (!strcmp(hook, file[i]))
			return IMA_FILE;
	return IMA_NONE;
}

/* In-flight records waiting for the hash (pid_tgid -> record, 8.3 KB each): the hook's concurrent calls */
#define IMA_ENTRIES 256

/* Post imaHash: the selectors that ask for it, the sleepable program loaded only then. */
static const char *setup_ima(struct hook_inst *hi, char *why, size_t len)
{
	struct generic_lsm_bpf *skel = hi->skel;
	const struct tp_hook *h = hi->h;
	int src = ima_source(h->hook);
	bool asked = false, ima = false;

	for (size_t i = 0; i < h->nselectors && i < GT_MAX_SEL; i++)
		for (size_t j = 0; j < h->selectors[i].nactions; j++) {
			const struct tp_action *a = &h->selectors[i].actions[j];

			if (a->type != TP_ACTION_POST || !a->ima_hash)
				continue;
			asked = true;
			if (src != IMA_NONE) {
				hi->xcfg->sel_ima[i] = 1;
				ima = true;
			}
		}
	if (asked && !ima)
		log_warn("policy %s: lsm hook %s: imaHash hashes the file of upstream's hooks only (file_open, "
			 "file_ioctl, file_lock, file_post_open, file_receive, mmap_file, bprm_*): its events have no "
			 "ima_hash", hi->p->name, h->hook);
	hi->xcfg->ima_bprm = src == IMA_BPRM;
	bpf_program__set_autoload(skel->progs.generic_lsm_ima, ima);
	if (ima && bpf_map__set_max_entries(skel->maps.gt_ret, IMA_ENTRIES)) {
		snprintf(why, len, "sizing gt_ret: %s", strerror(errno));
		return why;
	}
	return NULL;
}

static const char *prepare(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_lsm_bpf *skel = hi->skel;
	struct btf_hook bh;

	(void)e;
	if (hook_btf(hi->h, &bh, why, len))
		return why;
	skel->rodata->lsm_override = hi->ovr == POLICY_OVR_LSM;
	if (setup_ima(hi, why, len))
		return why;
	return policy_btf_layout(hi->h, &bh, bh.what, hi->cfg, hi, why, len);
}

static int load(struct hook_inst *hi)
{
	struct generic_lsm_bpf *skel = hi->skel;
	struct bpf_program *ima = skel->progs.generic_lsm_ima;
	/* libbpf looks the target up as bpf_lsm_<hook> */
	int err = policy_attach_targets(hi->h->hook, skel->progs.generic_lsm, bpf_program__autoload(ima) ? ima : NULL);
	int lerr = generic_lsm_bpf__load(skel);

	return err ? err : lerr;
}

static const char *attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	struct generic_lsm_bpf *skel = hi->skel;
	struct bpf_link *l;

	(void)e;
	/* imaHash: the hash program first, so that it runs after generic_lsm (newest runs first) */
	if (bpf_program__autoload(skel->progs.generic_lsm_ima)) {
		l = bpf_program__attach_lsm(skel->progs.generic_lsm_ima);
		if (!l) {
			snprintf(why, len, "attaching the imaHash program to lsm hook %s: %s", hi->h->hook,
				 strerror(errno));
			return why;
		}
		if (policy_inst_link(hi, l))
			return "out of memory";
	}
	l = bpf_program__attach_lsm(skel->progs.generic_lsm);
	if (!l) {
		snprintf(why, len, "attaching to lsm hook %s: %s", hi->h->hook, strerror(errno));
		return why;
	}
	return policy_inst_link(hi, l) ? "out of memory" : NULL;
}

static void destroy(struct hook_inst *hi)
{
	generic_lsm_bpf__destroy(hi->skel);
}

static void describe(const struct hook_inst *hi, struct strbuf *sb)
{
	strbuf_addf(sb, "%s", hi->function);
}

const struct policy_backend policy_be_lsm = {
	.name = "bpf lsm",
	.section = TP_HOOK_LSM,
	.msg_op = MSG_OP_GENERIC_LSM,
	.event = POLICY_EV_LSM,
	.sensor = "generic_lsm",
	.label = "lsm",
	.overrides = true,
	.check = check,
	.instances = instances,
	.open = open_obj,
	.prepare = prepare,
	.load = load,
	.attach = attach,
	.destroy = destroy,
	.describe = describe,
};
