// SPDX-License-Identifier: Apache-2.0
/*
 * The Override action, through whichever mechanism this kernel allows,
 * chosen per hook (policy_ovr_choose) and shown in the policy status:
 *
 *   lsmhooks           the BPF LSM program's return value (policy_lsm.c);
 *   kprobes            the generic program leaves the error for the thread
 *                      in its gt_override map, and a companion program on
 *                      the same kernel function (bpf/generic_override.bpf.c)
 *                      applies it in the same call: fmod_ret
 *                      (BPF_MODIFY_RETURN: security_ functions, and
 *                      error-injectable ones where the kernel has
 *                      CONFIG_FUNCTION_ERROR_INJECTION) or a kprobe calling
 *                      bpf_override_return (CONFIG_BPF_KPROBE_OVERRIDE,
 *                      error-injectable functions);
 *   syscall kprobes    the same, the generic program on the syscall's
 *                      tracepoint and the companion on its __x64_sys_
 *                      function (which the tracepoint precedes).
 *
 * The policy's override-method option (fmod-ret, override-return) asks for
 * one; by default a security_ function gets fmod_ret (bpf_override_return
 * cannot override them) and other functions bpf_override_return, else
 * fmod_ret. When none works the policy is refused, naming what the kernel
 * lacks and the lsmhook that would do the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "generic_override.skel.h"
#include "kernel/features.h"
#include "sensors/core_btf.h"
#include "sensors/policy_backend.h"
#include "sensors/policy_btf.h"
#include "sensors/policy_internal.h"
#include "util/strbuf.h"

/* Calls in flight whose error waits for the companion (LRU: a lost one only ages out). */
#define OVR_ENTRIES 4096

bool policy_hook_overrides(const struct tp_hook *h)
{
	for (size_t i = 0; i < h->nselectors; i++)
		for (size_t j = 0; j < h->selectors[i].nactions; j++)
			if (h->selectors[i].actions[j].type == TP_ACTION_OVERRIDE)
				return true;
	return false;
}

const char *policy_ovr_name(int m)
{
	switch (m) {
	case POLICY_OVR_LSM: return "the LSM hook's return value";
	case POLICY_OVR_FMOD_RET: return "fmod_ret";
	case POLICY_OVR_RETURN: return "bpf_override_return";
	default: return "none";
	}
}

/*
 * The LSM hook a syscall's checks go through, where one hook covers the
 * operation (what an lsmhooks: policy with Override would use instead).
 */
static const struct {
	const char *syscall, *hook;
} lsm_of_syscall[] = {
	{ "open", "file_open" },	  { "openat", "file_open" },	     { "openat2", "file_open" },
	{ "creat", "file_open" },	  { "link", "path_link" },	     { "linkat", "path_link" },
	{ "unlink", "path_unlink" },	  { "unlinkat", "path_unlink" },     { "mkdir", "path_mkdir" },
	{ "mkdirat", "path_mkdir" },	  { "rmdir", "path_rmdir" },	     { "symlink", "path_symlink" },
	{ "symlinkat", "path_symlink" },  { "rename", "path_rename" },	     { "renameat", "path_rename" },
	{ "renameat2", "path_rename" },	  { "mknod", "path_mknod" },	     { "mknodat", "path_mknod" },
	{ "truncate", "path_truncate" },  { "ftruncate", "path_truncate" },  { "chmod", "path_chmod" },
	{ "fchmod", "path_chmod" },	  { "fchmodat", "path_chmod" },	     { "chown", "path_chown" },
	{ "fchown", "path_chown" },	  { "lchown", "path_chown" },	     { "fchownat", "path_chown" },
	{ "chroot", "path_chroot" },	  { "execve", "bprm_check_security" },
	{ "execveat", "bprm_check_security" },				     { "connect", "socket_connect" },
	{ "bind", "socket_bind" },	  { "listen", "socket_listen" },     { "accept", "socket_accept" },
	{ "accept4", "socket_accept" },	  { "sendto", "socket_sendmsg" },    { "sendmsg", "socket_sendmsg" },
	{ "recvfrom", "socket_recvmsg" }, { "recvmsg", "socket_recvmsg" },   { "socket", "socket_create" },
	{ "ptrace", "ptrace_access_check" },				     { "kill", "task_kill" },
	{ "tkill", "task_kill" },	  { "tgkill", "task_kill" },	     { "mount", "sb_mount" },
	{ "umount2", "sb_umount" },	  { "pivot_root", "sb_pivotroot" },  { "setuid", "task_fix_setuid" },
	{ "setreuid", "task_fix_setuid" },				     { "setresuid", "task_fix_setuid" },
	{ "setgid", "task_fix_setgid" },  { "setregid", "task_fix_setgid" }, { "setresgid", "task_fix_setgid" },
	{ "bpf", "bpf" },		  { "mmap", "mmap_file" },	     { "mprotect", "file_mprotect" },
	{ "ioctl", "file_ioctl" },	  { "read", "file_permission" },     { "write", "file_permission" },
	{ "prctl", "task_prctl" },	  { "capset", "capset" },	     { "init_module", "kernel_load_data" },
	{ "finit_module", "kernel_read_file" },
};

/* The lsmhook doing what an Override on func (or syscall) does: appended to why. */
static void lsm_alternative(const char *func, const char *syscall, struct strbuf *sb)
{
	const char *hook = NULL;
	char name[160];
	struct btf_hook bh;
	char tmp[256];

	if (syscall) {
		const char *base = policy_syscall_base(syscall);

		for (size_t i = 0; i < sizeof(lsm_of_syscall) / sizeof(lsm_of_syscall[0]); i++)
			if (!strcmp(base, lsm_of_syscall[i].syscall)) {
				hook = lsm_of_syscall[i].hook;
				break;
			}
	} else if (!strncmp(func, "security_", 9)) {
		snprintf(name, sizeof(name), "bpf_lsm_%s", func + 9);
		if (!policy_btf_func(name, &bh, tmp, sizeof(tmp)))
			hook = func + 9;
	}
	if (!hook) {
		strbuf_addf(sb, "; no lsmhook is known to do the same for %s (Sigkill and Signal need neither)",
			    syscall ? syscall : func);
		return;
	}
	strbuf_addf(sb, "; the lsmhook %s does the same (lsmhooks: - hook: \"%s\" with the Override action: the "
		    "hook's return value fails the operation)%s", hook, hook,
		    policy_feature(KF_BPF_LSM, NULL, 0) ? "" : ", on a kernel with BPF LSM active (lsm=...,bpf)");
}

const char *policy_ovr_choose(const struct tp_policy *p, const char *what, const char *func, const char *syscall,
			      int *m, char *why, size_t len)
{
	bool security = !strncmp(func, "security_", 9);
	char rwhy[256], fwhy[256], swhy[256];
	bool ret = policy_feature(KF_OVERRIDE_RETURN, rwhy, sizeof(rwhy));
	bool fmod = policy_feature(KF_FMOD_RET, fwhy, sizeof(fwhy));
	/* fmod_ret on a function that is not security_: the error-injection list must exist */
	bool fmod_any = fmod && policy_feature(KF_FMOD_RET_SYSCALL, swhy, sizeof(swhy));
	struct strbuf sb = STRBUF_INIT;
	struct btf_hook bh;
	char tmp[256];

	if (!fmod)
		snprintf(swhy, sizeof(swhy), "%s", fwhy);
	/* a trampoline needs its target in BTF (Debian's syscall functions are not) */
	if (!security && fmod && policy_btf_func(func, &bh, tmp, sizeof(tmp)) == -ENOENT) {
		fmod_any = false;
		snprintf(swhy, sizeof(swhy), "%s is not in the kernel's BTF, which fmod_ret needs", func);
	}
	*m = POLICY_OVR_NONE;
	switch (p->opts.override_method) {
	case TP_OVERRIDE_RETURN:
		if (security)
			strbuf_addf(&sb, "%s: override-method override-return: bpf_override_return cannot override "
				    "%s (security_ functions are not on the kernel's error-injection list); "
				    "fmod-ret can", what, func);
		else if (!ret)
			strbuf_addf(&sb, "%s: override-method override-return: this kernel has no "
				    "bpf_override_return (%s)", what, rwhy);
		else
			*m = POLICY_OVR_RETURN;
		break;
	case TP_OVERRIDE_FMOD_RET:
		if (!fmod)
			strbuf_addf(&sb, "%s: override-method fmod-ret: this kernel cannot run fmod_ret programs "
				    "(%s)", what, fwhy);
		else if (!security && !fmod_any)
			strbuf_addf(&sb, "%s: override-method fmod-ret: fmod_ret can modify %s only on a kernel "
				    "whose error-injection list has it (%s)", what, func, swhy);
		else
			*m = POLICY_OVR_FMOD_RET;
		break;
	default:
		if (security) {
			if (fmod)
				*m = POLICY_OVR_FMOD_RET;
			else
				strbuf_addf(&sb, "%s: Override on %s needs fmod_ret (bpf_override_return cannot "
					    "override security_ functions), and this kernel cannot run fmod_ret "
					    "programs (%s)", what, func, fwhy);
		} else if (ret) {
			*m = POLICY_OVR_RETURN;
		} else if (fmod_any) {
			*m = POLICY_OVR_FMOD_RET;
		} else {
			strbuf_addf(&sb, "%s: Override on %s needs bpf_override_return (%s) or fmod_ret on it (%s), "
				    "and this kernel has neither", what, func, rwhy, swhy);
		}
		break;
	}
	if (*m != POLICY_OVR_NONE) {
		strbuf_free(&sb);
		return NULL;
	}
	lsm_alternative(func, syscall, &sb);
	snprintf(why, len, "%s", sb.buf && !sb.oom ? sb.buf : "out of memory");
	strbuf_free(&sb);
	return why;
}

const char *policy_ovr_hook(const struct tp_policy *p, const struct tp_hook *h, const char *what,
			    const char *const *funcs, size_t n, bool syscall, int *m, char *why, size_t len)
{
	const char *first = NULL;

	*m = POLICY_OVR_NONE;
	if (!policy_hook_overrides(h))
		return NULL;
	for (size_t k = 0; k < n; k++) {
		char target[160];
		int mk;

		if (syscall)
			snprintf(target, sizeof(target), "__x64_sys_%s", policy_syscall_base(funcs[k]));
		else
			snprintf(target, sizeof(target), "%s", funcs[k]);
		if (policy_ovr_choose(p, what, target, syscall ? funcs[k] : NULL, &mk, why, len))
			return why;
		if (k && mk != *m) {
			/* one hook, one mechanism: it is what its status reports */
			snprintf(why, len, "%s: Override would need %s on %s and %s on %s: the functions of one hook "
				 "must override the same way; split the list, or set the override-method option",
				 what, policy_ovr_name(*m), first, policy_ovr_name(mk), funcs[k]);
			*m = POLICY_OVR_NONE;
			return why;
		}
		*m = mk;
		first = funcs[k];
	}
	return NULL;
}

/* rodata variable name of obj set to v: the generic objects' gt_ovr (bpf/lib/gt_common.h) */
int policy_set_rodata_u32(struct bpf_object *obj, const char *name, uint32_t v)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *sec;
	const struct btf_var_secinfo *vs;
	size_t size = 0;
	const char *data;
	char *copy;
	int id, err;

	if (!map || !btf)
		return -ENOENT;
	data = bpf_map__initial_value(map, &size);
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (!data || id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, (__u32)id);
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!var || strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		if (vs->size != sizeof(v) || vs->offset + sizeof(v) > size)
			return -EINVAL;
		/* the whole section again, this variable changed (the skeleton's other values kept) */
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, size);
		memcpy(copy + vs->offset, &v, sizeof(v));
		err = bpf_map__set_initial_value(map, copy, size);
		free(copy);
		return err;
	}
	return -ENOENT;
}

const char *policy_ovr_prepare(struct hook_inst *hi, struct bpf_object *obj, char *why, size_t len)
{
	struct bpf_map *map;
	int err;

	if (hi->ovr != POLICY_OVR_FMOD_RET && hi->ovr != POLICY_OVR_RETURN)
		return NULL;
	map = bpf_object__find_map_by_name(obj, "gt_override");
	err = map ? bpf_map__set_max_entries(map, OVR_ENTRIES) : -ENOENT;
	if (!err)
		err = policy_set_rodata_u32(obj, "gt_ovr", 1);
	if (err) {
		snprintf(why, len, "preparing Override (gt_override, gt_ovr): %s", strerror(-err));
		return why;
	}
	return NULL;
}

/* The kernel functions the companions go on: the kprobe's, or the syscall's __x64_sys_ function. */
static size_t targets(const struct hook_inst *hi, const char *const **v, const char **one)
{
	if (hi->nfuncs) {
		*v = (const char *const *)hi->funcs;
		return hi->nfuncs;
	}
	*one = hi->function;
	*v = one;
	return 1;
}

/* One companion on func; a reason or NULL. */
static const char *attach_one(struct hook_inst *hi, const char *func, char *why, size_t len)
{
	struct generic_override_bpf *skel = CORE_BTF_OPEN(generic_override);
	bool fmod = hi->ovr == POLICY_OVR_FMOD_RET;
	struct bpf_program *prog;
	struct bpf_link *l;
	void **v;
	int err, fd;

	if (!skel) {
		snprintf(why, len, "Override: opening its BPF object: %s", strerror(errno));
		return why;
	}
	v = realloc(hi->ovr_skels, (hi->novr + 1) * sizeof(*v));
	if (!v) {
		generic_override_bpf__destroy(skel);
		return "out of memory";
	}
	hi->ovr_skels = v;
	hi->ovr_skels[hi->novr++] = skel;
	prog = fmod ? skel->progs.generic_fmod_ret : skel->progs.generic_override_kp;
	bpf_program__set_autoload(fmod ? skel->progs.generic_override_kp : skel->progs.generic_fmod_ret, false);
	fd = bpf_object__find_map_fd_by_name(hi->obj, "gt_override");
	err = fd < 0 ? fd : bpf_map__reuse_fd(skel->maps.gt_override, fd);
	if (!err) {
		/* loaded even when the target was not found: a load frees the BTF libbpf read to look */
		int lerr;

		if (fmod)
			err = bpf_program__set_attach_target(prog, 0, func);
		lerr = generic_override_bpf__load(skel);
		err = err ? err : lerr;
	}
	if (err) {
		snprintf(why, len, "Override by %s on %s: the kernel refused the program (%s)%s", policy_ovr_name(hi->ovr),
			 func, strerror(-err), fmod && err == -EINVAL ?
			 ": fmod_ret may modify only security_ functions and, on a kernel with "
			 "CONFIG_FUNCTION_ERROR_INJECTION, error-injectable ones" : "");
		return why;
	}
	l = fmod ? bpf_program__attach_trace(prog) : bpf_program__attach_kprobe(prog, false, func);
	if (!l) {
		err = errno;
		snprintf(why, len, "Override by %s on %s: attaching: %s%s", policy_ovr_name(hi->ovr), func,
			 strerror(err), !fmod && err == EINVAL ? " (the function is not on the kernel's "
			 "error-injection list: bpf_override_return cannot override it)" : "");
		return why;
	}
	return policy_inst_link(hi, l) ? "out of memory" : NULL;
}

const char *policy_ovr_attach(struct policy_engine *e, struct hook_inst *hi, char *why, size_t len)
{
	const char *const *v, *one;
	size_t n;

	if (hi->ovr != POLICY_OVR_FMOD_RET && hi->ovr != POLICY_OVR_RETURN)
		return NULL;
	n = targets(hi, &v, &one);
	for (size_t k = 0; k < n; k++) {
		if (attach_one(hi, v[k], why, len))
			return why;
		if (e->pump && k % 64 == 63)
			e->pump(e->pump_ctx);
	}
	return NULL;
}

void policy_ovr_free(struct hook_inst *hi)
{
	for (size_t k = 0; k < hi->novr; k++)
		generic_override_bpf__destroy(hi->ovr_skels[k]);
	free(hi->ovr_skels);
	hi->ovr_skels = NULL;
	hi->novr = 0;
}

void policy_ovr_describe(const struct hook_inst *hi, struct strbuf *sb)
{
	const char *const *v, *one;
	size_t n;

	if (hi->ovr == POLICY_OVR_NONE)
		return;
	strbuf_addf(sb, ", Override by %s", policy_ovr_name(hi->ovr));
	if (hi->ovr != POLICY_OVR_LSM) {
		n = targets(hi, &v, &one);
		if (n == 1)
			strbuf_addf(sb, " on %s", v[0]);
		else
			strbuf_addf(sb, " on its %zu functions", n);
	}
	if (hi->p->opts.policy_mode == TP_MODE_MONITOR)
		strbuf_addf(sb, " (monitor mode: reported, not applied)");
}
