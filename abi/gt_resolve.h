/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel <-> user ABI of an argument's "resolve:" path (BTF-typed hooks:
 * raw tracepoints, kprobes; bpf/lib/gt_args.h): the agent walks the BTF path
 * once (src/sensors/policy_btf.c) and leaves the kernel a list of offsets. Starting from the raw argument (a pointer), each
 * offset but the last is a pointer member: p = *(u64 *)(p + off[k]). The
 * last gives the field's address, p + off[n - 1], whose value is then
 * loaded (GT_RES_LOAD: size bytes, little endian) or is the address itself
 * (GT_RES_ADDR: an embedded char array or struct path).
 */
#ifndef TG_ABI_GT_RESOLVE_H
#define TG_ABI_GT_RESOLVE_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#define GT_RESOLVE_MAX	10	/* upstream's resolve depth */

enum gt_res_last {
	GT_RES_LOAD,
	GT_RES_ADDR,
};

struct gt_resolve {
	__u8 n;			/* offsets in off[]; 0: the argument is used as is */
	__u8 last;		/* enum gt_res_last */
	__u8 size;		/* GT_RES_LOAD: bytes, 1..8 */
	__u8 pad;
	__u32 off[GT_RESOLVE_MAX];
};

_Static_assert(sizeof(struct gt_resolve) == 4 + 4 * GT_RESOLVE_MAX, "gt_resolve layout");

#endif
