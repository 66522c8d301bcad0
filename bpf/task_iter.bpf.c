// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Every running process' exec_id key, read once at startup: the agent
 * gives the processes it finds in /proc the very key their exec or fork
 * record gave them (lib/task.h task_exec_ktime), so their exec_ids are the
 * same before and after an agent restart. /proc's start time is in clock
 * ticks and knows nothing of execs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "abi/msg_process.h"
#include "lib/task.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("iter/task")
int tg_task_keys(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct task_key_rec r = {};

	if (!task)
		return 0;
	/* one record per process: its group leader; no kernel threads */
	if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid))
		return 0;
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		return 0;
	r.tgid = BPF_CORE_READ(task, tgid);
	r.ktime = task_exec_ktime(task);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}
