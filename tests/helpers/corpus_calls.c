// SPDX-License-Identifier: Apache-2.0
/*
 * corpus_calls CMD ...: the system calls the VM's upstream policy corpus
 * (tests/vm/corpus.expect) triggers that busybox cannot make, each printing
 * its result as "CMD: RC errno N" so that a check can assert what the
 * caller saw (an Override's return value, for one).
 *   connect ADDR PORT        TCP connect(2) to ADDR:PORT (IPv4)
 *   link OLD NEW             linkat(AT_FDCWD, OLD, AT_FDCWD, NEW, 0)
 *   symlink TARGET NEW       symlinkat(TARGET, AT_FDCWD, NEW)
 *   ptrace ADDR              ptrace(PTRACE_PEEKUSER, parent, ADDR, 0)
 *   bpf                      loads a socket filter "corpus_bpf" (2 insns)
 *                            and creates a hash map "corpus_map" (4/8/16)
 *   cgroup-skb CGROUP CMD... runs CMD with a cgroup skb egress program
 *                            ("corpus_skb", passes all) attached to the
 *                            cgroup2 directory CGROUP, then detaches it
 *   usdt A B                 fires the USDT test:usdt3 (int A, long B), the
 *                            probe of upstream's usdt.yaml example
 *   prctl OPTION ARG2        prctl(OPTION, ARG2, 2, 3, 4): known values in
 *                            the syscall's registers (checks/data.sh)
 *   write TEXT               write(1, TEXT, strlen(TEXT)), reported on stderr
 *   clock_settime ID         clock_settime(ID, now): CLOCK_MONOTONIC (1) is
 *                            refused (EINVAL), the clock left as it is
 *   pivot_root NEW OLD       pivot_root(NEW, OLD)
 *   deep N CMD...            runs CMD N forks below this process (each
 *                            waits for its child): a process that many
 *                            generations below its ancestors
 *   pid PID CMD...           runs CMD as process PID (clone3 set_tid: root,
 *                            PID free and below kernel.pid_max)
 * Raw bpf(2): builds without libbpf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/sched.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/sdt.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report(const char *what, long rc)
{
	printf("%s: %ld errno %d\n", what, rc, rc < 0 ? errno : 0);
	return rc < 0 ? 1 : 0;
}

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

/* r0 = ret; exit */
static int load_prog(enum bpf_prog_type type, enum bpf_attach_type at, int ret, const char *name)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.expected_attach_type = at;
	a.insns = (unsigned long)insns;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	strncpy(a.prog_name, name, sizeof(a.prog_name) - 1);
	return (int)sys_bpf(BPF_PROG_LOAD, &a);
}

static int do_bpf(void)
{
	union bpf_attr a;
	int prog = load_prog(BPF_PROG_TYPE_SOCKET_FILTER, 0, 0, "corpus_bpf");
	int map;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 16;
	strncpy(a.map_name, "corpus_map", sizeof(a.map_name) - 1);
	map = (int)sys_bpf(BPF_MAP_CREATE, &a);
	report("bpf prog", prog);
	return report("bpf map", map) | (prog < 0);
}

static int do_cgroup_skb(const char *cg, char **cmd)
{
	union bpf_attr a;
	int prog, cgfd, status = 0;
	pid_t pid;

	prog = load_prog(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, 1, "corpus_skb");
	cgfd = open(cg, O_RDONLY | O_DIRECTORY);
	if (prog < 0 || cgfd < 0)
		return report("cgroup-skb load", -1);
	memset(&a, 0, sizeof(a));
	a.target_fd = cgfd;
	a.attach_bpf_fd = prog;
	a.attach_type = BPF_CGROUP_INET_EGRESS;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		return report("cgroup-skb attach", -1);
	pid = fork();
	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	sys_bpf(BPF_PROG_DETACH, &a);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* the caller's view of a child: its exit status, or 128 + the signal that killed it */
static int wait_status(pid_t pid)
{
	int status = 0;

	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 127;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int do_deep(int n, char **cmd)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid != 0)
			return wait_status(pid);
	}
	execvp(cmd[0], cmd);
	_exit(127);
}

static int do_pid(pid_t want, char **cmd)
{
	struct clone_args ca;
	long pid;

	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	ca.set_tid = (unsigned long)&want;
	ca.set_tid_size = 1;
	pid = syscall(__NR_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	if (pid < 0)
		return report("pid clone3", pid);
	return wait_status((pid_t)pid);
}

__attribute__((noinline)) static void fire_usdt(int a, long b)
{
	STAP_PROBE2(test, usdt3, a, b);
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(c, "connect") && argc == 4) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
			return 2;
		return report("connect", connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	}
	if (!strcmp(c, "link") && argc == 4)
		return report("link", linkat(AT_FDCWD, argv[2], AT_FDCWD, argv[3], 0));
	if (!strcmp(c, "symlink") && argc == 4)
		return report("symlink", symlinkat(argv[2], AT_FDCWD, argv[3]));
	if (!strcmp(c, "ptrace") && argc == 3)
		return report("ptrace", ptrace(PTRACE_PEEKUSER, getppid(), (void *)strtoul(argv[2], NULL, 0), NULL));
	if (!strcmp(c, "bpf") && argc == 2)
		return do_bpf();
	if (!strcmp(c, "cgroup-skb") && argc >= 4)
		return do_cgroup_skb(argv[2], argv + 3);
	if (!strcmp(c, "prctl") && argc == 4)
		return report("prctl", syscall(SYS_prctl, strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), 2UL, 3UL,
					       4UL)) && errno != EINVAL;
	if (!strcmp(c, "usdt") && argc == 4) {
		fire_usdt(atoi(argv[2]), atol(argv[3]));
		return 0;
	}
	if (!strcmp(c, "write") && argc == 3) {
		long rc = write(1, argv[2], strlen(argv[2]));

		fprintf(stderr, "write: %ld errno %d\n", rc, rc < 0 ? errno : 0);
		return rc < 0;
	}
	if (!strcmp(c, "clock_settime") && argc == 3) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		return report("clock_settime", clock_settime(atoi(argv[2]), &ts));
	}
	if (!strcmp(c, "pivot_root") && argc == 4)
		return report("pivot_root", syscall(__NR_pivot_root, argv[2], argv[3]));
	if (!strcmp(c, "deep") && argc >= 4)
		return do_deep(atoi(argv[2]), argv + 3);
	if (!strcmp(c, "pid") && argc >= 4)
		return do_pid(atoi(argv[2]), argv + 3);
	fprintf(stderr, "usage: corpus_calls connect ADDR PORT | link OLD NEW | symlink TARGET NEW | ptrace ADDR |"
			" bpf | cgroup-skb CGROUP CMD... | usdt A B | prctl OPTION ARG2 | write TEXT |"
			" clock_settime ID | pivot_root NEW OLD | deep N CMD... | pid PID CMD...\n");
	return 2;
}
