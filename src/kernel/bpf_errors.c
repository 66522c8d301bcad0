// SPDX-License-Identifier: Apache-2.0
#include "kernel/bpf_errors.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"

void bpf_explain_error(const char *what, int err)
{
	const char *hint;

	if (err < 0)
		err = -err;
	switch (err) {
	case EPERM:
	case EACCES:
		hint = "the kernel refused the BPF operation: run as root (CAP_BPF and CAP_PERFMON, or "
		       "CAP_SYS_ADMIN); a locked-down kernel or a seccomp/LSM policy may also forbid it. "
		       "If it is the verifier, rerun with --log-level debug to see its log";
		break;
	case ENOENT:
	case ESRCH:
		hint = "the kernel lacks the hook or a BTF type it needs (kernel too old or built "
		       "without CONFIG_DEBUG_INFO_BTF / the tracepoint)";
		break;
	case EOPNOTSUPP:
	case EINVAL:
		hint = "this kernel does not support the program or attach type (Linux 5.8+ with BTF "
		       "is required for BTF tracepoints and ring buffers)";
		break;
	case E2BIG:
	case ENOSPC:
		hint = "the BPF program is too large or complex for this kernel's verifier";
		break;
	case ENOMEM:
		hint = "out of memory for BPF maps; on kernels before 5.11 raise RLIMIT_MEMLOCK";
		break;
	case EMFILE:
	case ENFILE:
		hint = "out of file descriptors: every map, program and link of a policy holds one; raise the "
		       "agent's RLIMIT_NOFILE hard limit (ulimit -Hn, LimitNOFILE= in systemd)";
		break;
	default:
		hint = "see the libbpf messages above";
	}
	log_error("%s failed: %s (errno %d): %s", what, strerror(err), err, hint);
}
