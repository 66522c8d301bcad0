#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""TracingPolicy engine: policies loaded with --tracing-policy, filtered and
enforced in the kernel, reported as process_kprobe / process_tracepoint."""

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import AGENT, Agent, Skip, exit_of, require_root  # noqa: E402

agent = None
TMP = tempfile.mkdtemp(prefix="tg-policy-")
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    atexit.register(shutil.rmtree, TMP, True)
WATCHED = os.path.join(TMP, "watched")
OTHER = os.path.join(TMP, "other")
HONEYPOT = os.path.join(TMP, "honeypot")
MKDIRS = os.path.join(TMP, "dirs")

OPEN_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "open-watched"
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    message: "watched file opened"
    tags: ["test"]
    args:
    - index: 0
      type: "int"
    - index: 1
      type: "string"
    - index: 2
      type: "int"
    selectors:
    - matchBinaries:
      - operator: "In"
        values: ["/usr/bin/cat"]
      matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["%s"]
""" % WATCHED

KILL_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "honeypot"
spec:
  kprobes:
  - call: "__x64_sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Equal"
        values: ["%s"]
      matchActions:
      - action: Sigkill
""" % HONEYPOT

TP_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "mkdir-tp"
spec:
  tracepoints:
  - subsystem: "syscalls"
    event: "sys_enter_mkdir"
    # tracepoint indices count the format's common_* fields, as upstream's do
    args:
    - index: 5
      type: "string"
    - index: 6
    selectors:
    - matchArgs:
      - index: 5
        operator: "Prefix"
        values: ["%s"]
""" % MKDIRS

MYTRUE = os.path.join(TMP, "mytrue")
EXEC_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "exec-tp"
spec:
  tracepoints:
  - subsystem: "sched"
    event: "sched_process_exec"
    args:
    - index: 4
    - index: 5
    selectors:
    - matchArgs:
      # no args[] entry has index 0: it names args[0] by position (upstream's rule)
      - index: 0
        operator: "Postfix"
        values: ["/mytrue"]
"""

SIGNAL_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "signal-unlink"
spec:
  lists:
  - name: "unl"
    type: "syscalls"
    values: ["sys_unlinkat"]
  kprobes:
  - call: "list:unl"
    syscall: true
    args:
    - index: 1
      type: "string"
      label: "path"
    selectors:
    - matchPIDs:
      - operator: NotIn
        values: [1]
      matchArgs:
      - index: 1
        operator: "Postfix"
        values: [".tgsig"]
      matchActions:
      - action: Signal
        argSig: 10
"""

MONITORED = os.path.join(TMP, "monitored")
MONITOR_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "monitor-kill"
spec:
  options:
  - name: "policy-mode"
    value: "monitor"
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Equal"
        values: ["%s"]
      matchActions:
      - action: Sigkill
""" % MONITORED

LSM_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "lsm-refused"
spec:
  lsmhooks:
  - hook: "file_open"
    args:
    - index: 0
      type: "file"
"""

FENTRY_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "fentry-refused"
spec:
  fentries:
  - call: "vfs_read"
    syscall: false
    args:
    - index: 0
      type: "file"
"""

# Override on a syscall: bpf_override_return or fmod_ret on __x64_sys_openat, or refused with the lsmhook
OVERRIDE_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "override-refused"
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Equal"
        values: ["/nonexistent/override"]
      matchActions:
      - action: Override
        argError: -1
"""

NONSYS_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "fd-install-refused"
spec:
  kprobes:
  - call: "fd_install"
    syscall: false
    args:
    - index: 0
      type: "int"
"""


LOADER_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "loader-refused"
spec:
  loader: true
"""


# a syscall hook forced onto a kprobe on its function (syscall-attach): refused on a kernel without kprobes
SYSATTACH_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "sysattach-refused"
spec:
  options:
  - name: "syscall-attach"
    value: "kprobe"
  kprobes:
  - call: "sys_getppid"
    syscall: true
"""


def kprobes(policy):
    return lambda ev: ev.get("process_kprobe", {}).get("policy_name") == policy


def test_kprobe_post_with_exact_path():
    out = subprocess.run(["/usr/bin/cat", WATCHED], capture_output=True)
    assert out.returncode == 0 and out.stdout == b"watched\n", out
    ev = agent.wait_for(kprobes("open-watched"), what="process_kprobe")["process_kprobe"]
    assert ev["function_name"] == "__x64_sys_openat", ev
    assert ev["process"]["binary"] == "/usr/bin/cat", ev["process"]
    assert ev["args"][0] == {"int_arg": -100}, ev["args"]
    assert ev["args"][1] == {"string_arg": WATCHED}, ev["args"]
    assert "int_arg" in ev["args"][2] or ev["args"][2] == {}, ev["args"]
    assert ev["action"] == "KPROBE_ACTION_POST", ev
    assert ev["message"] == "watched file opened" and ev["tags"] == ["test"], ev
    assert "parent" in ev, ev


def test_other_path_filtered_in_kernel():
    out = subprocess.run(["/usr/bin/cat", OTHER], capture_output=True)
    assert out.returncode == 0
    # a marker after it, to know everything before has been read
    subprocess.run(["/usr/bin/cat", WATCHED], capture_output=True)
    agent.wait_count(kprobes("open-watched"), 2, what="second watched open")
    for ev in agent.read():
        k = ev.get("process_kprobe")
        if k and k.get("policy_name") == "open-watched":
            assert k["args"][1]["string_arg"].startswith(WATCHED), k
    # the filtered counter is checked at shutdown (logged by the agent)


def test_sigkill_honeypot():
    out = subprocess.run(["/usr/bin/cat", HONEYPOT], capture_output=True)
    assert out.returncode == -9, out
    assert out.stdout == b"", out
    ev = agent.wait_for(kprobes("honeypot"), what="honeypot kprobe")["process_kprobe"]
    assert ev["action"] == "KPROBE_ACTION_SIGKILL", ev
    assert ev["args"] == [{"string_arg": HONEYPOT}], ev
    ex = agent.wait_for(exit_of(ev["process"]["exec_id"]), what="exit of the killed cat")
    assert ex["process_exit"]["signal"] == "SIGKILL", ex


def test_tracepoint_policy():
    if not os.path.exists("/sys/kernel/tracing/events/syscalls/sys_enter_mkdir"):
        raise Skip("no syscalls/sys_enter_mkdir tracepoint")
    d = os.path.join(MKDIRS, "one")
    os.mkdir(d, 0o750)
    ev = agent.wait_for(lambda e: e.get("process_tracepoint", {}).get("policy_name") == "mkdir-tp",
                        what="process_tracepoint")["process_tracepoint"]
    assert ev["subsys"] == "syscalls" and ev["event"] == "sys_enter_mkdir", ev
    assert ev["args"][0] == {"string_arg": d}, ev["args"]
    assert ev["args"][1] == {"size_arg": "488"}, ev["args"]  # umode_t field: 8 bytes unsigned
    assert ev["process"]["pid"] == os.getpid(), ev["process"]


def test_tracepoint_data_loc_string():
    if not os.path.exists("/sys/kernel/tracing/events/sched/sched_process_exec"):
        raise Skip("no sched/sched_process_exec tracepoint")
    proc = subprocess.run([MYTRUE])
    assert proc.returncode == 0
    ev = agent.wait_for(lambda e: e.get("process_tracepoint", {}).get("policy_name") == "exec-tp",
                        what="exec-tp tracepoint")["process_tracepoint"]
    assert ev["subsys"] == "sched" and ev["event"] == "sched_process_exec", ev
    assert ev["args"][0] == {"string_arg": MYTRUE}, ev["args"]
    assert ev["args"][1] == {"int_arg": ev["process"]["pid"]}, ev


def test_signal_action_and_syscall_list():
    victim = os.path.join(TMP, "victim.tgsig")
    open(victim, "w").close()
    proc = subprocess.run(["/usr/bin/rm", victim])
    assert proc.returncode == -10, proc
    ev = agent.wait_for(kprobes("signal-unlink"), what="signal-unlink kprobe")["process_kprobe"]
    assert ev["function_name"] == "__x64_sys_unlinkat", ev
    assert ev["args"] == [{"string_arg": victim, "label": "path"}], ev["args"]
    assert ev["action"] == "KPROBE_ACTION_SIGNAL", ev


def test_monitor_mode_does_not_enforce():
    out = subprocess.run(["/usr/bin/cat", MONITORED], capture_output=True)
    assert out.returncode == 0 and out.stdout == b"monitored\n", out
    ev = agent.wait_for(kprobes("monitor-kill"), what="monitor-kill kprobe")["process_kprobe"]
    # as upstream: the event says what the selector asks for; monitor mode did not apply it
    assert ev["action"] == "KPROBE_ACTION_SIGKILL", ev


def host_has(feature):
    out = subprocess.run([AGENT, "--probe-features"], capture_output=True, text=True).stdout
    return re.search(r"^%s: yes" % feature, out, re.M) is not None


def host_has_kprobes():
    return host_has("kprobe")


def test_unsupported_policies_refused():
    err = agent.stderr()
    accepted, refused = 6, 6
    if host_has("bpf_lsm"):
        assert re.search(r"tracing policy lsm-refused \(.*\) accepted: 1 hook\(s\); lsmhooks\[0\] file_open: "
                         r"bpf lsm on file_open", err), err
        accepted, refused = accepted + 1, refused - 1
    else:
        # this machine's kernel (6.18): the BPF LSM probe's reason
        assert re.search(r"tracing policy lsm-refused \(.*\) refused: lsmhooks file_open: (this kernel cannot run "
                         r"BPF LSM programs: \S.*|BPF LSM is not active on this kernel: .*boot with lsm=.*bpf on the "
                         r"kernel command line.*)$", err, re.M), err
    if host_has("fentry"):
        assert re.search(r"tracing policy fentry-refused \(.*\) accepted: 1 hook\(s\); fentries\[0\] vfs_read: "
                         r"fentry on vfs_read", err), err
        accepted, refused = accepted + 1, refused - 1
    else:
        assert re.search(r"tracing policy fentry-refused \(.*\) refused: fentry on vfs_read: this kernel cannot run "
                         r"fentry programs \(BPF trampolines\): load fentry/vfs_read: \S+", err), err
    if host_has("override_return") or host_has("fmod_ret_syscall"):
        assert re.search(r"tracing policy override-refused \(.*\) accepted: 1 hook\(s\); kprobes\[0\] sys_openat: "
                         r"syscall (tracepoint on syscalls/sys_enter_openat|(fentry|kprobe) on __x64_sys_openat), "
                         r"Override by (bpf_override_return|fmod_ret) on __x64_sys_openat", err), err
        accepted, refused = accepted + 1, refused - 1
    else:
        # neither mechanism: the kernel options it lacks, and the lsmhook that would do the same
        assert re.search(r"tracing policy override-refused \(.*\) refused: kprobe on sys_openat: Override on "
                         r"__x64_sys_openat needs bpf_override_return \(.*\) or fmod_ret on it \(.*\), and this "
                         r"kernel has neither; the lsmhook file_open does the same", err), err
    if host_has_kprobes():
        # a kernel function on a kernel that has kprobes: it runs, and says how
        assert re.search(r"tracing policy fd-install-refused \(.*\) accepted: 1 hook\(s\); kprobes\[0\] fd_install: "
                         r"kprobe(\.multi)? on fd_install", err), err
        accepted, refused = accepted + 1, refused - 1
    else:
        # this machine's kernel (6.18): the reason names the missing feature and the probe that failed
        assert re.search(r"tracing policy fd-install-refused \(.*\) refused: kprobe on fd_install: this kernel has no "
                         r"kprobes: \S.*\(syscall: true serves syscalls through their "
                         r"tracepoints\)", err), err
    if host_has_kprobes():
        assert re.search(r"tracing policy sysattach-refused \(.*\) accepted: 1 hook\(s\); kprobes\[0\] sys_getppid: "
                         r"syscall kprobe on __x64_sys_getppid\"$", err, re.M), err
        accepted, refused = accepted + 1, refused - 1
    else:
        assert re.search(r"tracing policy sysattach-refused \(.*\) refused: line 10: syscall-attach kprobe: "
                         r"sys_getppid: this kernel has no kprobes: \S", err), err
    # the syscall hooks of the other policies: on their tracepoints where there is neither kprobe nor fentry
    if not host_has_kprobes() and not host_has("fentry"):
        assert re.search(r"tracing policy open-watched \(.*\) accepted: 1 hook\(s\); kprobes\[0\] sys_openat: "
                         r"syscall tracepoint on syscalls/sys_enter_openat\"$", err, re.M), err
    assert re.search(r"tracing policy loader-refused \(.*\) refused: \S+:\d+:\d+: spec.loader: loader: true .* "
                     r"not supported", err), err
    assert "%d accepted, %d refused" % (accepted, refused) in err, err
    assert agent.proc.poll() is None


def main():
    global agent
    try:
        require_root()
    except Skip as e:
        print("SKIP all: %s" % e)
        print("policy: 0 passed, 0 failed, 1 skipped")
        return 0
    os.makedirs(MKDIRS)
    for path, text in ((WATCHED, "watched\n"), (OTHER, "other\n"), (HONEYPOT, "secret\n"),
                       (MONITORED, "monitored\n")):
        with open(path, "w") as f:
            f.write(text)
    files = []
    for name, text in (("open.yaml", OPEN_POLICY), ("kill.yaml", KILL_POLICY), ("tp.yaml", TP_POLICY),
                       ("exec.yaml", EXEC_POLICY), ("signal.yaml", SIGNAL_POLICY),
                       ("monitor.yaml", MONITOR_POLICY),
                       ("lsm.yaml", LSM_POLICY), ("fentry.yaml", FENTRY_POLICY),
                       ("override.yaml", OVERRIDE_POLICY), ("nonsys.yaml", NONSYS_POLICY),
                       ("loader.yaml", LOADER_POLICY), ("sysattach.yaml", SYSATTACH_POLICY)):
        p = os.path.join(TMP, name)
        with open(p, "w") as f:
            f.write(text)
        files.append(p)
    pdir = os.path.join(TMP, "pdir")
    os.makedirs(pdir)
    args = []
    shutil.copy("/bin/true", MYTRUE)
    for p in files[:6]:
        args += ["--tracing-policy", p]
    for p in files[6:]:
        os.rename(p, os.path.join(pdir, os.path.basename(p)))
    args += ["--tracing-policy-dir", pdir]
    agent = Agent(*args)
    tests = [test_kprobe_post_with_exact_path, test_other_path_filtered_in_kernel,
             test_sigkill_honeypot, test_tracepoint_policy, test_tracepoint_data_loc_string,
             test_signal_action_and_syscall_list, test_monitor_mode_does_not_enforce,
             test_unsupported_policies_refused]
    passed = failed = skipped = 0
    for t in tests:
        start = time.time()
        try:
            t()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (t.__name__, e), flush=True)
            continue
        except Exception:
            failed += 1
            print("FAIL %s (%.1fs)" % (t.__name__, time.time() - start), flush=True)
            traceback.print_exc()
            continue
        passed += 1
        print("ok   %s (%.1fs)" % (t.__name__, time.time() - start), flush=True)
    code = agent.stop()
    err = agent.stderr()
    # (b) the kernel counted the dropped opens of cat (and everyone else)
    m = re.search(r"policy open-watched hook syscalls/sys_enter_openat: matched=(\d+) filtered=(\d+)", err)
    if m and int(m.group(1)) >= 2 and int(m.group(2)) >= 1:
        passed += 1
        print("ok   test_filtered_counter", flush=True)
    else:
        failed += 1
        print("FAIL test_filtered_counter: %s" % (m.group(0) if m else err[-2000:]), flush=True)
    if code != 0:
        failed += 1
        print("FAIL agent exit code %d\n%s" % (code, err[-3000:]), flush=True)
    print("policy: %d passed, %d failed, %d skipped" % (passed, failed, skipped), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
