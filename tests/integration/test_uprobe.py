#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""uprobes and raw tracepoints. uprobes: a function of a test program
probed by symbol and by offset, its register arguments read (int, int64,
string) and filtered in the kernel, a libc function probed with
matchBinaries. Raw tracepoints: arguments typed from BTF (a linux_binprm's
path, an int), filtered in the kernel. Clear refusals. Exact events;
filtered calls proven dropped by the kernel's counters."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import atexit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Agent, HELPERS, Skip, require_root  # noqa: E402
from sentinel import settle  # noqa: E402

agent = None
ACCEPTED = REFUSED = 0
DIO_DONE = False
TMP = tempfile.mkdtemp(prefix="tg-uprobe-")
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    atexit.register(shutil.rmtree, TMP, True)
TARGET = os.path.join(HELPERS, "uprobe_target")
TARGET_BTF = os.path.join(HELPERS, "uprobe_target.btf.o")   # its types' BTF (clang -target bpf -g)
LIBC = os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6")
UNAME = os.path.realpath("/usr/bin/uname")
SYMBOL = "tg_uprobe_target"
UPSTREAM = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                                         "upstream-policies"))
UPSTREAM_UPROBE = os.path.join(UPSTREAM, "tracingpolicy__uprobe.yaml")
UPSTREAM_UPROBE_BIN = os.path.join(UPSTREAM, "tracingpolicy__uprobe-binaries.yaml")
UPSTREAM_RAWTP = os.path.join(UPSTREAM, "tracingpolicy__rawtp.yaml")
# a raw tracepoint with a struct kiocb * and a struct iov_iter *: O_DIRECT writes on ext4/xfs
DIO_TP = "/sys/kernel/tracing/events/iomap/iomap_dio_rw_begin"
DIO_FILE = os.path.join(TMP, "raw-dio.bin")


def symbol_addr(path, symbol):
    syms = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    return int(next(l.split()[0] for l in syms.splitlines() if l.endswith(" " + symbol)), 16)


def file_offset(path, symbol):
    """File offset of a function: its address less its section's address plus the section's offset."""
    syms = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    addr = int(next(l.split()[0] for l in syms.splitlines() if l.endswith(" " + symbol)), 16)
    secs = subprocess.run(["readelf", "-S", "--wide", path], capture_output=True, text=True, check=True).stdout
    for m in re.finditer(r"\]\s+\.text\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", secs):
        sa, so, sz = (int(x, 16) for x in m.groups())
        if sa <= addr < sa + sz:
            return addr - sa + so
    raise AssertionError("no .text section holds %s" % symbol)


def sha256(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def policies():
    pols = {
        "up-args": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-args"
spec:
  uprobes:
  - path: "%s"
    symbols:
    - "%s"
    message: "target called"
    tags: ["test"]
    args:
    - index: 0
      type: "int"
    - index: 1
      type: "int64"
    - index: 2
      type: "string"
    selectors:
    - matchArgs:
      - index: 2
        operator: "Prefix"
        values: ["hello"]
""" % (TARGET, SYMBOL),
        "up-addr": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-addr"
spec:
  uprobes:
  - path: "%s"
    addrs:
    - %d
    args:
    - index: 0
      type: "int"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Equal"
        values: ["4343"]
""" % (TARGET, symbol_addr(TARGET, SYMBOL)),
        "up-return": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-return"
spec:
  uprobes:
  - path: "%s"
    symbols:
    - "%s"
    return: true
    args:
    - index: 0
      type: "int"
    - index: 2
      type: "string"
    returnArg:
      index: 0
      type: "int"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Equal"
        values: ["31"]
      matchReturnArgs:
      - index: 0
        operator: "GT"
        values: ["40"]
    - matchArgs:
      - index: 0
        operator: "Equal"
        values: ["99"]
      matchReturnArgs:
      - index: 0
        operator: "Equal"
        values: ["99"]
      matchReturnActions:
      - action: Sigkill
""" % (TARGET, SYMBOL),
        "up-readline-ret": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-readline-ret"
spec:
  uprobes:
  - path: "/bin/bash"
    symbols:
    - "readline"
    return: true
    returnArg:
      index: 0
      type: "string"
    selectors:
    - matchBinaries:
      - operator: "In"
        values:
        - "/bin/bash"
        - "/usr/bin/bash"
      matchReturnArgs:
      - index: 0
        operator: "Prefix"
        values:
        - "sudo"
""",
        "up-digest": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-digest"
spec:
  uprobes:
  - path: "%s"
    symbols:
    - "%s"
    binaryDigests:
    - "sha1:0000000000000000000000000000000000000000"
    - "sha256:%s"
    args:
    - index: 0
      type: "int"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Equal"
        values: ["5151"]
""" % (TARGET, SYMBOL, sha256(TARGET)),
        "up-digest-skip": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-digest-skip"
spec:
  uprobes:
  - path: "%s"
    symbols:
    - "%s"
    ignore:
      digestVerificationFailure: true
    binaryDigests:
    - "sha256:%s"
""" % (TARGET, SYMBOL, "1" * 64),
        "up-digest-bad": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-digest-bad"
spec:
  uprobes:
  - path: "%s"
    symbols:
    - "%s"
    binaryDigests:
    - "sha256:%s"
""" % (TARGET, SYMBOL, "2" * 64),
        "up-offset": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-offset"
spec:
  uprobes:
  - path: "%s"
    offsets:
    - %d
    args:
    - index: 0
      type: "int"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Equal"
        values: ["4242"]
""" % (TARGET, file_offset(TARGET, SYMBOL)),
        "up-libc": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-libc"
spec:
  uprobes:
  - path: "%s"
    symbols:
    - "uname"
    selectors:
    - matchBinaries:
      - operator: "In"
        values: ["%s"]
""" % (LIBC, UNAME),
        "up-btf": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-btf"
spec:
  uprobes:
  - path: "%s"
    btfPath: "%s"
    symbols:
    - "tg_uprobe_req"
    args:
    - index: 0
      type: "int64"
      btfType: "tg_req"
      resolve: "id"
    - index: 0
      type: "string"
      btfType: "tg_req"
      resolve: "name"
    - index: 0
      type: "int"
      btfType: "tg_req"
      resolve: "inner.code"
    - index: 0
      type: "string"
      btfType: "tg_req"
      resolve: "tag"
    - index: 0
      type: "string"
      resolve: "inner.label"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Equal"
        values: ["8181"]
""" % (TARGET, TARGET_BTF),
        "up-btf-bad": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-btf-bad"
spec:
  uprobes:
  - path: "%s"
    btfPath: "%s"
    symbols:
    - "tg_uprobe_req"
    args:
    - index: 0
      type: "int"
      btfType: "tg_req"
      resolve: "inner.nothing"
""" % (TARGET, TARGET_BTF),
        "up-btf-nopath": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-btf-nopath"
spec:
  uprobes:
  - path: "%s"
    symbols:
    - "tg_uprobe_req"
    args:
    - index: 0
      type: "int"
      btfType: "tg_req"
      resolve: "id"
""" % TARGET,
        "raw-exec": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "raw-exec"
spec:
  tracepoints:
  - subsystem: "sched"
    event: "sched_process_exec"
    raw: true
    args:
    - index: 2
      type: "linux_binprm"
    selectors:
    - matchArgs:
      - index: 2
        operator: "Postfix"
        values: ["/uprobe_target"]
""",
        "raw-resolve": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "raw-resolve"
spec:
  tracepoints:
  - subsystem: "sched"
    event: "sched_process_exec"
    raw: true
    args:
    - index: 0
      type: "int"
      resolve: "pid"
    - index: 0
      type: "string"
      resolve: "comm"
    - index: 0
      type: "int"
      resolve: "real_parent.tgid"
    - index: 0
      type: "file"
      resolve: "mm.exe_file"
    - index: 2
      type: "linux_binprm"
    selectors:
    - matchBinaries:
      - operator: "Postfix"
        values: ["/uprobe_target"]
""",
        "raw-resolve-bad": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "raw-resolve-bad"
spec:
  tracepoints:
  - subsystem: "sched"
    event: "sched_process_exec"
    raw: true
    args:
    - index: 0
      type: "int"
      resolve: "mm.no_such_member"
""",
        "raw-signal": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "raw-signal"
spec:
  tracepoints:
  - subsystem: "signal"
    event: "signal_generate"
    raw: true
    args:
    - index: 0
      type: "int"
    selectors:
    - matchPIDs:
      - operator: In
        values: [%d]
      matchArgs:
      - index: 0
        operator: "Equal"
        values: ["10"]
""" % os.getpid(),
        "raw-bad-type": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "raw-bad-type"
spec:
  tracepoints:
  - subsystem: "signal"
    event: "signal_generate"
    raw: true
    args:
    - index: 0
      type: "file"
""",
        "up-missing-symbol": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-missing-symbol"
spec:
  uprobes:
  - path: "%s"
    symbols:
    - "no_such_function_here"
""" % TARGET,
        "up-missing-file": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-missing-file"
spec:
  uprobes:
  - path: "/nonexistent/bin/tool"
    symbols:
    - "main"
""",
    }
    if os.path.isdir(DIO_TP):
        pols["raw-dio"] = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "raw-dio"
spec:
  tracepoints:
  - subsystem: "iomap"
    event: "iomap_dio_rw_begin"
    raw: true
    args:
    - index: 0
      type: "kiocb"
    - index: 1
      type: "iov_iter"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Postfix"
        values: ["/raw-dio.bin"]
"""
    return pols


def uprobes(policy):
    return lambda ev: ev.get("process_uprobe", {}).get("policy_name") == policy


def run(*argv):
    r = subprocess.run(list(argv), capture_output=True)
    assert r.returncode == 0, (argv, r)
    return r


def test_symbol_args_and_selector():
    run(TARGET, "1", "2", "nope")                 # filtered in the kernel
    p = subprocess.Popen([TARGET, "7", "-9000000000", "hello-world"])
    assert p.wait() == 0
    ev = agent.wait_for(uprobes("up-args"), what="process_uprobe")["process_uprobe"]
    assert ev["process"]["pid"] == p.pid and ev["process"]["binary"] == TARGET, ev["process"]
    assert ev["parent"]["pid"] == os.getpid(), ev["parent"]
    assert ev["path"] == TARGET and ev["symbol"] == SYMBOL, ev
    assert ev["args"] == [{"int_arg": 7}, {"long_arg": "-9000000000"}, {"string_arg": "hello-world"}], ev["args"]
    assert ev["action"] == "KPROBE_ACTION_POST" and ev["message"] == "target called" and ev["tags"] == ["test"], ev
    assert len([e for e in agent.read() if uprobes("up-args")(e)]) == 1


def test_thread_tid():
    """upstream reports the calling thread in process.tid"""
    p = subprocess.Popen([TARGET, "5", "0", "hello-thread", "1", "thread"])
    assert p.wait() == 0
    ev = agent.wait_for(lambda e: uprobes("up-args")(e) and e["process_uprobe"]["process"]["pid"] == p.pid,
                        what="uprobe from a thread")["process_uprobe"]
    assert ev["args"][2] == {"string_arg": "hello-thread"}, ev["args"]
    tid = ev["process"]["tid"]
    assert tid != p.pid and tid > p.pid, ev["process"]
    # the main thread keeps tid == pid (the shared process view is not changed)
    p2 = subprocess.Popen([TARGET, "6", "0", "hello-main"])
    assert p2.wait() == 0
    ev = agent.wait_for(lambda e: uprobes("up-args")(e) and e["process_uprobe"]["process"]["pid"] == p2.pid,
                        what="uprobe from the main thread")["process_uprobe"]
    assert ev["process"]["tid"] == p2.pid, ev["process"]


def test_binary_digests():
    run(TARGET, "5151", "0", "digest")
    ev = agent.wait_for(uprobes("up-digest"), what="uprobe with a matching binaryDigest")["process_uprobe"]
    assert ev["args"] == [{"int_arg": 5151}], ev
    assert not [e for e in agent.read() if uprobes("up-digest-skip")(e)]
    err = agent.stderr()
    assert re.search(r"tracing policy up-digest-skip: uprobe %s %s not attached: uprobe path %s matches none "
                     r"of binaryDigests \(it has sha256:%s\) \(ignore.digestVerificationFailure\)"
                     % (re.escape(TARGET), SYMBOL, re.escape(TARGET), sha256(TARGET)), err), err
    assert re.search(r"tracing policy up-digest-bad \(.*\) refused: uprobe path %s matches none of "
                     r"binaryDigests \(it has sha256:%s\)" % (re.escape(TARGET), sha256(TARGET)), err), err


def test_offset():
    run(TARGET, "4242", "0", "x", "3")
    run(TARGET, "1", "0", "x")
    got = agent.wait_count(uprobes("up-offset"), 3, what="offset uprobe events")
    assert all(e["process_uprobe"]["args"] == [{"int_arg": 4242}] for e in got), got
    assert all(e["process_uprobe"]["offset"] == str(file_offset(TARGET, SYMBOL)) for e in got), got[0]


def test_addrs():
    run(TARGET, "4343", "0", "addr")
    ev = agent.wait_for(uprobes("up-addr"), what="uprobe by address")["process_uprobe"]
    assert ev["args"] == [{"int_arg": 4343}], ev
    # upstream reports the file offset the address maps to, and no symbol
    assert ev["offset"] == str(file_offset(TARGET, SYMBOL)) and "symbol" not in ev, ev


def test_btf_resolve():
    """btfPath + btfType + resolve: members, a pointer member, a char * and char arrays of the
    binary's own struct, walked in its memory; matchArgs on a resolved value"""
    run(TARGET, "8180", "5", "other")             # id 8180: filtered in the kernel
    p = subprocess.Popen([TARGET, "8181", "-77", "btf-name"])
    assert p.wait() == 0
    ev = agent.wait_for(lambda e: uprobes("up-btf")(e) and e["process_uprobe"]["process"]["pid"] == p.pid,
                        what="uprobe with resolved BTF args")["process_uprobe"]
    assert ev["symbol"] == "tg_uprobe_req", ev
    assert ev["args"] == [{"long_arg": "8181"}, {"string_arg": "btf-name"}, {"int_arg": -77},
                          {"string_arg": "tag-btf-name"}, {"string_arg": "in-8181"}], ev["args"]
    settle(agent)
    assert len([e for e in agent.read() if uprobes("up-btf")(e)]) == 1


def test_return_probe():
    run(TARGET, "31", "-5", "low")                # returns 26: matchReturnArgs GT 40 drops it
    run(TARGET, "30", "20", "other")              # entry filtered (a != 31)
    p = subprocess.Popen([TARGET, "31", "10", "ret"])
    assert p.wait() == 0
    ev = agent.wait_for(uprobes("up-return"), what="uretprobe event")["process_uprobe"]
    assert ev["process"]["pid"] == p.pid, ev["process"]
    assert ev["symbol"] == SYMBOL and ev["path"] == TARGET, ev
    # upstream appends the return value to args
    assert ev["args"] == [{"int_arg": 31}, {"string_arg": "ret"}, {"int_arg": 41}], ev["args"]
    assert ev["action"] == "KPROBE_ACTION_POST", ev
    # matchReturnActions Sigkill: killed once the function has returned 99
    r = subprocess.run([TARGET, "99", "0", "die"], capture_output=True)
    assert r.returncode == -9, r
    ev = agent.wait_for(lambda e: uprobes("up-return")(e) and e["process_uprobe"]["args"][0] == {"int_arg": 99},
                        what="uretprobe Sigkill event")["process_uprobe"]
    assert ev["args"] == [{"int_arg": 99}, {"string_arg": "die"}, {"int_arg": 99}], ev["args"]
    got = [e["process_uprobe"]["args"][1] for e in agent.read() if uprobes("up-return")(e)]
    assert got == [{"string_arg": "ret"}, {"string_arg": "die"}], got


def interactive_bash(*lines):
    """An interactive bash on a pty (so it uses readline) that reads lines, then exits."""
    import pty
    import time
    master, slave = pty.openpty()
    p = subprocess.Popen(["/bin/bash", "--norc", "--noprofile", "-i"], stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True)
    os.close(slave)
    for line in lines + ("exit",):
        time.sleep(0.3)
        os.write(master, line.encode() + b"\n")
    deadline = time.time() + 10
    while p.poll() is None and time.time() < deadline:
        try:
            os.read(master, 4096)                 # keep the pty drained
        except OSError:
            break
    p.wait(timeout=5)
    os.close(master)
    return p


def test_string_return_probe():
    """readline's returned line read at the return, filtered with Prefix in the kernel"""
    p = interactive_bash("true not-sudo", "sudo-nothing --here")
    mine = lambda e: uprobes("up-readline-ret")(e) and e["process_uprobe"]["process"]["pid"] == p.pid  # noqa: E731
    ev = agent.wait_for(mine, what="readline return event")["process_uprobe"]
    assert ev["symbol"] == "readline" and ev["args"] == [{"string_arg": "sudo-nothing --here"}], ev
    settle(agent)
    assert len([e for e in agent.read() if mine(e)]) == 1


def test_upstream_bash_example():
    """upstream's examples/tracingpolicy/uprobe.yaml as is: bash's main and readline."""
    if not os.path.exists(UPSTREAM_UPROBE):
        raise Skip("no %s" % UPSTREAM_UPROBE)
    p = interactive_bash()
    assert p.returncode == 0, p.returncode
    mine = lambda e: uprobes("uprobe")(e) and e["process_uprobe"]["process"]["pid"] == p.pid  # noqa: E731
    agent.wait_count(mine, 2, what="bash main and readline uprobes")
    syms = sorted(set(e["process_uprobe"]["symbol"] for e in agent.read() if mine(e)))
    assert syms == ["main", "readline"], syms
    assert all(e["process_uprobe"]["path"] == "/bin/bash" for e in agent.read() if mine(e))


def test_libc_match_binaries():
    if not os.path.exists(LIBC):
        raise Skip("no %s" % LIBC)
    run("/usr/bin/hostname")                      # calls uname() too: another binary, filtered
    p = subprocess.Popen([UNAME, "-a"], stdout=subprocess.DEVNULL)
    assert p.wait() == 0
    ev = agent.wait_for(lambda e: uprobes("up-libc")(e) and e["process_uprobe"]["process"]["pid"] == p.pid,
                        what="libc uname uprobe")["process_uprobe"]
    assert ev["path"] == LIBC and ev["symbol"] == "uname", ev
    assert all(e["process_uprobe"]["process"]["binary"] == UNAME for e in agent.read() if uprobes("up-libc")(e))


def perm(path):
    """upstream's permission of a path argument: ls(1)'s mode string"""
    import stat
    return stat.filemode(os.stat(path).st_mode)


def tracepoints(policy):
    return lambda ev: ev.get("process_tracepoint", {}).get("policy_name") == policy


def test_raw_tracepoint_binprm():
    run("/bin/true")                              # another binary: filtered in the kernel
    p = subprocess.Popen([TARGET, "0", "0", "raw"])
    assert p.wait() == 0
    ev = agent.wait_for(lambda e: tracepoints("raw-exec")(e) and e["process_tracepoint"]["process"]["pid"] == p.pid,
                        what="raw sched_process_exec")["process_tracepoint"]
    assert ev["subsys"] == "sched" and ev["event"] == "sched_process_exec", ev
    assert ev["args"] == [{"linux_binprm_arg": {"path": TARGET, "permission": perm(TARGET)}}], ev["args"]
    # only .../uprobe_target execs pass (other test runs may exec their own copy at the same time)
    bins = [e["process_tracepoint"]["process"]["binary"] for e in agent.read() if tracepoints("raw-exec")(e)]
    assert all(b.endswith("/uprobe_target") for b in bins), bins


def test_raw_tracepoint_resolve():
    """resolve: paths walked from the task_struct * (members, pointers) and the binprm"""
    p = subprocess.Popen([TARGET, "0", "0", "resolve"])
    assert p.wait() == 0
    ev = agent.wait_for(lambda e: tracepoints("raw-resolve")(e) and e["process_tracepoint"]["process"]["pid"] == p.pid,
                        what="raw sched_process_exec with resolve")["process_tracepoint"]
    real = os.path.realpath(TARGET)
    assert ev["args"] == [{"int_arg": p.pid}, {"string_arg": "uprobe_target"}, {"int_arg": os.getpid()},
                          {"file_arg": {"path": real, "permission": perm(real)}},
                          {"linux_binprm_arg": {"path": TARGET, "permission": perm(TARGET)}}], ev["args"]


def test_raw_tracepoint_int():
    import signal
    import time
    p = subprocess.Popen(["/bin/sleep", "30"])
    time.sleep(0.2)
    os.kill(p.pid, signal.SIGUSR2)                # 12: filtered
    p2 = subprocess.Popen(["/bin/sleep", "30"])
    time.sleep(0.2)
    os.kill(p2.pid, signal.SIGUSR1)               # 10: posted
    p.wait()
    p2.wait()
    ev = agent.wait_for(tracepoints("raw-signal"), what="raw signal_generate")["process_tracepoint"]
    assert ev["args"] == [{"int_arg": 10}], ev["args"]
    assert ev["process"]["pid"] == os.getpid(), ev["process"]
    settle(agent)
    assert len([e for e in agent.read() if tracepoints("raw-signal")(e)]) == 1


def test_upstream_rawtp_example():
    """upstream's examples/tracingpolicy/rawtp.yaml as is: every exec's linux_binprm."""
    if not os.path.exists(UPSTREAM_RAWTP):
        raise Skip("no %s" % UPSTREAM_RAWTP)
    p = subprocess.Popen(["/bin/true"])
    assert p.wait() == 0
    ev = agent.wait_for(lambda e: tracepoints("rawtp")(e) and e["process_tracepoint"]["process"]["pid"] == p.pid,
                        what="upstream rawtp event")["process_tracepoint"]
    true = os.path.realpath("/bin/true")
    assert ev["args"] == [{"linux_binprm_arg": {"path": true, "permission": perm(true)}}], ev["args"]


def dio_write(path, data):
    """one O_DIRECT write of data (page-aligned, a multiple of 4096 bytes); False where the fs has no O_DIRECT"""
    import errno
    import mmap
    buf = mmap.mmap(-1, len(data))
    buf.write(data)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o640)
    except OSError as e:
        if e.errno == errno.EINVAL:
            return False
        raise
    try:
        os.fchmod(fd, 0o640)
        os.write(fd, buf)
    finally:
        os.close(fd)
    return True


def test_raw_tracepoint_kiocb_iov_iter():
    """kiocb (its file's path and mode, filtered with Postfix in the kernel) and iov_iter (the user buffer)"""
    import base64
    if not os.path.isdir(DIO_TP):
        raise Skip("no iomap/iomap_dio_rw_begin tracepoint")
    data = bytes(range(256)) * 32                 # 8192 bytes: 4096 kept
    if not dio_write(os.path.join(TMP, "raw-dio-other.bin"), data) or not dio_write(DIO_FILE, data):
        raise Skip("%s has no O_DIRECT" % TMP)
    global DIO_DONE
    DIO_DONE = True                               # raw-dio-other.bin: filtered in the kernel
    ev = agent.wait_for(lambda e: tracepoints("raw-dio")(e) and e["process_tracepoint"]["process"]["pid"] == os.getpid(),
                        what="raw iomap_dio_rw_begin")["process_tracepoint"]
    assert ev["args"] == [{"file_arg": {"path": DIO_FILE, "permission": "-rw-r-----"}},
                          {"truncated_bytes_arg": {"bytes_arg": base64.b64encode(data[:4096]).decode(),
                                                   "orig_size": "8192"}}], ev["args"]


def test_refusals():
    err = agent.stderr()
    if os.path.exists(UPSTREAM_UPROBE_BIN) and not os.path.exists("/lib64/libc.so.6"):
        assert re.search(r"tracing policy uprobe-binaries \(.*\) refused: uprobe path /lib64/libc.so.6: "
                         r"No such file or directory", err), err
    assert re.search(r"tracing policy up-missing-symbol \(.*\) refused: uprobe: %s has no function "
                     r"no_such_function_here" % re.escape(TARGET), err), err
    assert re.search(r"tracing policy up-missing-file \(.*\) refused: uprobe path /nonexistent/bin/tool: "
                     r"No such file or directory", err), err
    assert re.search(r"tracing policy raw-bad-type \(.*\) refused: line \d+: raw tracepoint signal_generate "
                     r"argument 0 is int: type file cannot read it", err), err
    assert re.search(r"tracing policy raw-resolve-bad \(.*\) refused: line \d+: raw tracepoint sched_process_exec "
                     r"argument 0 \(struct task_struct \*\): resolve \\\"mm.no_such_member\\\": struct mm_struct has no "
                     r"member no_such_member", err), err
    assert re.search(r"tracing policy up-btf-bad \(.*\) refused: line \d+: uprobe tg_uprobe_req argument 0 as "
                     r"struct tg_req: resolve \\\"inner.nothing\\\": struct tg_inner has no member nothing", err), err
    assert re.search(r"tracing policy up-btf-nopath \(.*\) refused: line \d+: uprobe tg_uprobe_req argument 0: "
                     r"resolve needs the binary's BTF: set btfPath", err), err
    assert "%d accepted, %d refused" % (ACCEPTED, REFUSED) in err, err


def main():
    global agent
    try:
        require_root()
        if not os.path.exists(TARGET):
            raise Skip("%s not built" % TARGET)
    except Skip as e:
        print("SKIP all: %s" % e)
        print("uprobe-rawtp: 0 passed, 0 failed, 1 skipped")
        return 0
    args = []
    for name, text in policies().items():
        path = os.path.join(TMP, name + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        args += ["--tracing-policy", path]
    global ACCEPTED, REFUSED
    ACCEPTED, REFUSED = 12 + os.path.isdir(DIO_TP), 7
    for up, accepted in ((UPSTREAM_UPROBE, True), (UPSTREAM_RAWTP, True), (UPSTREAM_UPROBE_BIN, False)):
        if os.path.exists(up):
            if up == UPSTREAM_UPROBE_BIN:
                # its policy is also named "uprobe": rename it so both load side by side
                with open(up) as f:
                    text = f.read().replace('name: "uprobe"', 'name: "uprobe-binaries"')
                up = os.path.join(TMP, "uprobe-binaries.yaml")
                with open(up, "w") as f:
                    f.write(text)
            args += ["--tracing-policy", up]
            if accepted:
                ACCEPTED += 1
            else:
                REFUSED += 1
    agent = Agent(*args)
    passed = failed = skipped = 0
    for t in (test_symbol_args_and_selector, test_thread_tid, test_binary_digests, test_offset, test_addrs, test_btf_resolve, test_return_probe, test_string_return_probe,
              test_upstream_bash_example,
              test_libc_match_binaries, test_raw_tracepoint_binprm, test_raw_tracepoint_resolve,
              test_raw_tracepoint_int, test_raw_tracepoint_kiocb_iov_iter,
              test_upstream_rawtp_example, test_refusals):
        try:
            t()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (t.__name__, e), flush=True)
            continue
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
            continue
        passed += 1
        print("ok   %s" % t.__name__, flush=True)
    code = agent.stop()
    err = agent.stderr()
    # the kernel dropped what the selectors did not match
    for policy, least in (("up-args", 1), ("up-libc", 1), ("up-offset", 1), ("up-return", 1), ("up-btf", 1), ("up-readline-ret", 1), ("raw-exec", 1), ("raw-resolve", 1),
                          ("raw-signal", 1)) + ((("raw-dio", 1),) if DIO_DONE else ()):
        m = re.search(r"policy %s hook [^:]+: matched=(\d+) filtered=(\d+)" % policy, err)
        if m and int(m.group(2)) >= least:
            passed += 1
            print("ok   test_counters_%s matched=%s filtered=%s" % (policy.replace("-", "_"), m.group(1), m.group(2)))
        else:
            failed += 1
            print("FAIL test_counters_%s: %s" % (policy.replace("-", "_"), m.group(0) if m else "no counters"))
    if code != 0:
        failed += 1
        print("FAIL agent exit code %d\n%s" % (code, err[-3000:]))
    print("uprobe-rawtp: %d passed, %d failed, %d skipped" % (passed, failed, skipped), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
