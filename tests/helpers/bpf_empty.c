// SPDX-License-Identifier: Apache-2.0
/* bpf_empty SUBSYS/EVENT: attach a BPF program that does nothing (r0 = 0;
 * exit) to that tracepoint, print "attached", and hold it until killed.
 * The floor of the policy benchmark: what running any program on the hook
 * costs on this kernel. Raw syscalls, so it builds without libbpf. */
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	struct perf_event_attr pa;
	char path[512];
	long id = -1;
	int prog, pfd;
	FILE *f;

	if (argc != 2 || !strchr(argv[1], '/')) {
		fprintf(stderr, "usage: bpf_empty SUBSYS/EVENT\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", argv[1]);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%ld", &id) != 1) {
		perror(path);
		return 1;
	}
	fclose(f);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_TRACEPOINT;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t)"GPL";
	prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (prog < 0) {
		perror("bpf_empty: BPF_PROG_LOAD");
		return 1;
	}
	/* the program runs on every CPU whatever the event's cpu (libbpf's way) */
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.size = sizeof(pa);
	pa.config = (uint64_t)id;
	pa.sample_period = 1;
	pa.wakeup_events = 1;
	pfd = (int)syscall(SYS_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0 || ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0)) {
		perror("bpf_empty: attach");
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	for (;;)
		pause();
}
