#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""TracingPolicy return probes and argument types on syscall hooks:
return: true + returnArg (served by syscalls/sys_exit_*), matchReturnArgs,
matchReturnActions, char_buf with sizeArgIndex and returnCopy, fd resolved
to its path in the kernel, sockaddr, syscall64. Real syscalls, exact events."""

import atexit
import base64
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Agent, Skip, free_port, require_root, run_tests, scrape_metrics  # noqa: E402
from sentinel import settle  # noqa: E402

agent = None
TMP = tempfile.mkdtemp(prefix="tg-pargs-")
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    atexit.register(shutil.rmtree, TMP, True)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPSTREAM = "/work/shared/upstream-policies"
PID = os.getpid()
MPORT = free_port()

RET_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "openat-ret"
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    return: true
    args:
    - index: 1
      type: "string"
    returnArg:
      index: 0
      type: int
      label: "fd"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["%s/ret-"]
""" % TMP

# only successful opens (return value >= 0) are reported; NoPost at return
# for those under retf-quiet
RETF_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "openat-retf"
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    return: true
    args:
    - index: 1
      type: "string"
    returnArg:
      index: 0
      type: int
    selectors:
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["%s/retf-quiet"]
      matchReturnActions:
      - action: NoPost
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["%s/retf-"]
      matchReturnArgs:
      - index: 0
        operator: "GT"
        values: ["-1"]
""" % (TMP, TMP)

IO_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "io-bufs"
spec:
  kprobes:
  - call: "sys_read"
    syscall: true
    args:
    - index: 0
      type: "fd"
    - index: 1
      type: "char_buf"
      returnCopy: true
    - index: 2
      type: "size_t"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Prefix"
        values: ["%s/rd"]
  - call: "sys_write"
    syscall: true
    args:
    - index: 0
      type: "fd"
    - index: 1
      type: "char_buf"
      sizeArgIndex: 3
    - index: 2
      type: "size_t"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Prefix"
        values: ["%s/wr"]
  - call: "sys_close"
    syscall: true
    args:
    - index: 0
      type: "fd"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Equal"
        values: ["%s/cl"]
""" % (TMP, TMP, TMP)

NET_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "connect-sockaddr"
spec:
  kprobes:
  - call: "sys_connect"
    syscall: true
    args:
    - index: 0
      type: "int"
    - index: 1
      type: "sockaddr"
    selectors:
    - matchPIDs:
      - operator: In
        values: [%d]
""" % PID

UNIX_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "connect-unix"
spec:
  kprobes:
  - call: "sys_connect"
    syscall: true
    args:
    - index: 1
      type: "sockaddr_un"
    selectors:
    - matchPIDs:
      - operator: In
        values: [%d]
""" % PID

IOV_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "io-vecs"
spec:
  kprobes:
  - call: "sys_writev"
    syscall: true
    args:
    - index: 0
      type: "fd"
    - index: 1
      type: "char_iovec"
      sizeArgIndex: 3
    selectors:
    - matchArgs:
      - index: 0
        operator: "Postfix"
        values: ["/iov-file"]
  - call: "sys_readv"
    syscall: true
    return: true
    args:
    - index: 0
      type: "fd"
    - index: 1
      type: "char_iovec"
      sizeArgIndex: 3
      returnCopy: true
    returnArg:
      index: 0
      type: "size_t"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Postfix"
        values: ["/iov-file"]
"""

# paths longer than the 255 bytes selectors compare: kept whole (up to 4095),
# Prefix on their start and Postfix on their end still match
LONG_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "long-paths"
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    return: true
    args:
    - index: 1
      type: "string"
    returnArg:
      index: 0
      type: "int"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: ["%s/long-"]
      - index: 1
        operator: "Postfix"
        values: ["-tail.txt"]
  - call: "sys_close"
    syscall: true
    args:
    - index: 0
      type: "fd"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Postfix"
        values: ["-tail.txt"]
      - index: 0
        operator: "Prefix"
        values: ["%s/long-"]
""" % (TMP, TMP)

RAW_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "raw-syscalls-getppid"
spec:
  tracepoints:
  - subsystem: "raw_syscalls"
    event: "sys_enter"
    args:
    - index: 4
      type: "syscall64"
    selectors:
    - matchPIDs:
      - operator: In
        values: [%d]
      matchArgs:
      - index: 4
        operator: "Equal"
        values: ["110"]
  # args (unsigned long args[6]) has no type: upstream's const_buf, one size_arg per element
  - subsystem: "raw_syscalls"
    event: "sys_enter"
    args:
    - index: 4
      type: "syscall64"
    - index: 5
    selectors:
    - matchPIDs:
      - operator: In
        values: [%d]
      matchArgs:
      - index: 4
        operator: "Equal"
        values: ["8"]
""" % (PID, PID)


# maxData: up to 327360 bytes of a char_buf, the rest as chunks ahead of the record
MAXDATA_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "io-maxdata"
spec:
  kprobes:
  - call: "sys_write"
    syscall: true
    args:
    - index: 0
      type: "fd"
    - index: 1
      type: "char_buf"
      sizeArgIndex: 3
      maxData: true
    - index: 2
      type: "size_t"
    selectors:
    - matchArgs:
      - index: 0
        operator: "Prefix"
        values: ["%s/md-"]
""" % TMP


def perm(path):
    """upstream's permission of a path argument: ls(1)'s mode string"""
    import stat
    return stat.filemode(os.stat(path).st_mode)


def kprobes(policy):
    return lambda ev: ev.get("process_kprobe", {}).get("policy_name") == policy


def kprobe_with(policy, fn):
    def pred(ev):
        k = ev.get("process_kprobe", {})
        return k.get("policy_name") == policy and fn(k)
    return pred


def b64(b):
    return base64.b64encode(b).decode()


def test_return_probe_openat_missing_file():
    path = os.path.join(TMP, "ret-missing")
    try:
        open(path).close()
        raise AssertionError("opened a missing file")
    except FileNotFoundError:
        pass
    ev = agent.wait_for(kprobes("openat-ret"), what="openat return event")["process_kprobe"]
    assert ev["function_name"] == "__x64_sys_openat", ev
    assert ev["args"] == [{"string_arg": path}], ev["args"]
    assert ev["return"] == {"int_arg": -2, "label": "fd"}, ev
    assert ev["action"] == "KPROBE_ACTION_POST", ev
    assert ev["return_action"] == "KPROBE_ACTION_POST", ev
    assert ev["process"]["pid"] == PID, ev["process"]


def test_return_probe_openat_fd():
    path = os.path.join(TMP, "ret-exists")
    fd = os.open(path, os.O_RDONLY)
    os.close(fd)
    ev = agent.wait_for(kprobe_with("openat-ret", lambda k: k["args"][0]["string_arg"] == path),
                        what="openat return with fd")["process_kprobe"]
    assert ev["return"] == {"int_arg": fd, "label": "fd"}, ev


def test_match_return_args_and_return_nopost():
    for name in ("retf-quiet", "retf-missing"):
        try:
            open(os.path.join(TMP, name)).close()
        except FileNotFoundError:
            pass
    ok = os.path.join(TMP, "retf-ok")
    open(ok).close()
    ev = agent.wait_for(kprobes("openat-retf"), what="openat-retf event")["process_kprobe"]
    assert ev["args"] == [{"string_arg": ok}], ev
    assert ev["return"]["int_arg"] >= 0, ev
    settle(agent)
    got = [e["process_kprobe"]["args"][0]["string_arg"] for e in agent.read() if kprobes("openat-retf")(e)]
    assert got == [ok], got


def test_read_return_copy_and_fd_path():
    path = os.path.join(TMP, "rd-file")
    fd = os.open(path, os.O_RDONLY)
    data = os.read(fd, 100)
    os.close(fd)
    assert data == b"hello from the read test\n"
    ev = agent.wait_for(kprobe_with("io-bufs", lambda k: k["function_name"] ==
                                                           "__x64_sys_read"), what="read event")["process_kprobe"]
    assert ev["args"] == [{"file_arg": {"path": path, "permission": perm(path)}}, {"bytes_arg": b64(data)}, {"size_arg": "100"}], ev["args"]
    assert "return" not in ev, ev


def test_write_size_arg_index():
    path = os.path.join(TMP, "wr-file")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    payload = b"written through sizeArgIndex"
    assert os.write(fd, payload) == len(payload)
    os.close(fd)
    ev = agent.wait_for(kprobe_with("io-bufs", lambda k: k["function_name"] == "__x64_sys_write"),
                        what="write event")["process_kprobe"]
    assert ev["args"] == [{"file_arg": {"path": path, "permission": perm(path)}}, {"bytes_arg": b64(payload)},
                          {"size_arg": str(len(payload))}], ev["args"]


def test_write_truncated_bytes():
    path = os.path.join(TMP, "wr-big")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    payload = bytes(range(256)) * 24
    assert os.write(fd, payload) == len(payload)
    os.close(fd)
    ev = agent.wait_for(kprobe_with("io-bufs", lambda k: k["args"][0].get("file_arg", {}).get("path") == path),
                        what="big write event")["process_kprobe"]
    # upstream keeps 4096 bytes of a char_buf and reports the size it had
    assert ev["args"][1] == {"truncated_bytes_arg": {"bytes_arg": b64(payload[:4096]), "orig_size": "6144"}}, ev
    assert ev["args"][2] == {"size_arg": "6144"}, ev


def maxdata_write(name, payload):
    path = os.path.join(TMP, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    n = 0
    while n < len(payload):  # one write: a file takes it whole
        n += os.write(fd, payload[n:])
        assert n == len(payload), n
    os.close(fd)
    return agent.wait_for(kprobe_with("io-maxdata", lambda k: k["args"][0].get("file_arg", {}).get("path") == path),
                          what="maxData write event %s" % name)["process_kprobe"]


def test_write_max_data():
    # a pattern no chunk boundary can hide: every 4-byte word its own offset
    payload = b"".join(i.to_bytes(4, "little") for i in range(25000))
    ev = maxdata_write("md-100k", payload)
    assert ev["args"][1] == {"bytes_arg": b64(payload)}, (len(base64.b64decode(ev["args"][1].get(
        "bytes_arg", ""))), ev["args"][1].keys())
    assert ev["args"][2] == {"size_arg": "100000"}, ev
    # past upstream's 327360 bytes: cut there, with the size it had
    big = b"".join(i.to_bytes(4, "little") for i in range(100000))
    ev = maxdata_write("md-400k", big)
    assert ev["args"][1] == {"truncated_bytes_arg": {"bytes_arg": b64(big[:327360]), "orig_size": "400000"}}, \
        ev["args"][1].keys()
    # a short one is the record's own bytes
    ev = maxdata_write("md-short", b"short")
    assert ev["args"][1] == {"bytes_arg": b64(b"short")}, ev
    # the metrics page (rendered every second): 24 + 79 chunks, all joined
    want = {"Received": 103, "Added": 2, "Appended": 101, "Matched": 2, "NotMatched": 0, "Bad": 0}
    deadline = time.time() + 10
    while True:
        got = {k[1][0][1]: v for k, v in scrape_metrics(MPORT).items() if k[0] == "tetragon_data_events_total"}
        if got == want:
            break
        assert time.time() < deadline, got
        time.sleep(0.2)


def test_close_fd_path():
    path = os.path.join(TMP, "cl")
    fd = os.open(path, os.O_RDONLY)
    os.close(fd)
    ev = agent.wait_for(kprobe_with("io-bufs", lambda k: k["function_name"] == "__x64_sys_close"),
                        what="close event")["process_kprobe"]
    assert ev["args"] == [{"file_arg": {"path": path, "permission": perm(path)}}], ev["args"]


def test_connect_sockaddr():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", port))
    c.close()
    srv.close()
    ev = agent.wait_for(kprobes("connect-sockaddr"), what="connect event")["process_kprobe"]
    assert ev["function_name"] == "__x64_sys_connect", ev
    assert ev["args"][1] == {"sockaddr_arg": {"family": "AF_INET", "addr": "127.0.0.1", "port": port}}, ev


def test_connect_sockaddr_un():
    path = os.path.join(TMP, "unix.sock")
    for addr, want in ((path, path), ("\0tg-abstract-%d" % PID, "@tg-abstract-%d" % PID)):
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(addr)
        srv.listen(1)
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(addr)
        c.close()
        srv.close()
        ev = agent.wait_for(kprobe_with("connect-unix", lambda k: k["args"][0].get("sockaddrun_arg", {})
                                        .get("path") == want), what="unix connect " + want)["process_kprobe"]
        assert ev["args"] == [{"sockaddrun_arg": {"family": "AF_UNIX", "path": want}}], ev["args"]


def test_writev_readv_char_iovec():
    path = os.path.join(TMP, "iov-file")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    parts = [b"first-", b"", b"second-" * 3, b"third"]
    assert os.writev(fd, parts) == sum(map(len, parts))
    os.lseek(fd, 0, os.SEEK_SET)
    bufs = [bytearray(4), bytearray(100)]
    n = os.readv(fd, bufs)
    os.close(fd)
    data = b"".join(parts)
    assert n == len(data)
    ev = agent.wait_for(kprobe_with("io-vecs", lambda k: k["function_name"] == "__x64_sys_writev"),
                        what="writev event")["process_kprobe"]
    assert ev["args"] == [{"file_arg": {"path": path, "permission": perm(path)}}, {"bytes_arg": b64(data)}], ev["args"]
    ev = agent.wait_for(kprobe_with("io-vecs", lambda k: k["function_name"] == "__x64_sys_readv"),
                        what="readv event")["process_kprobe"]
    # returnCopy: the bytes readv wrote into both iovecs, no more
    assert ev["args"] == [{"file_arg": {"path": path, "permission": perm(path)}}, {"bytes_arg": b64(data)}], ev["args"]
    assert ev["return"] == {"size_arg": str(len(data))}, ev


def test_long_paths():
    d = os.path.join(TMP, "long-" + "d" * 200)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "f" * 150 + "-tail.txt")
    assert len(path) > 360
    with open(path, "w") as f:
        f.write("x")
    ev = agent.wait_for(kprobe_with("long-paths", lambda k: k["function_name"] == "__x64_sys_openat"),
                        what="long openat")["process_kprobe"]
    assert ev["args"] == [{"string_arg": path}], ev["args"]
    assert ev["return"]["int_arg"] >= 0, ev
    ev = agent.wait_for(kprobe_with("long-paths", lambda k: k["function_name"] == "__x64_sys_close"),
                        what="long close")["process_kprobe"]
    assert ev["args"] == [{"file_arg": {"path": path, "permission": perm(path)}}], ev["args"]
    # not matched: the same start, another end
    other = os.path.join(d, "g" * 150 + "-other.txt")
    with open(other, "w") as f:
        f.write("y")
    settle(agent)
    got = [e["process_kprobe"]["args"][0] for e in agent.read() if kprobes("long-paths")(e)]
    assert not [a for a in got if "-other" in str(a)], got


def test_raw_syscalls_syscall64():
    os.getppid()
    ev = agent.wait_for(lambda e: e.get("process_tracepoint", {}).get("policy_name") == "raw-syscalls-getppid" and
                        e["process_tracepoint"]["args"][0]["syscall_id"]["id"] == 110,
                        what="raw_syscalls event")["process_tracepoint"]
    assert ev["subsys"] == "raw_syscalls" and ev["event"] == "sys_enter", ev
    assert ev["args"] == [{"syscall_id": {"id": 110, "abi": "x64"}}], ev["args"]


def test_raw_syscalls_const_buf():
    fd = os.open(os.path.join(TMP, "cl"), os.O_RDONLY)
    try:
        os.lseek(fd, 12345, os.SEEK_END)
    finally:
        os.close(fd)
    ev = agent.wait_for(lambda e: e.get("process_tracepoint", {}).get("policy_name") == "raw-syscalls-getppid" and
                        e["process_tracepoint"]["args"][0]["syscall_id"]["id"] == 8 and
                        e["process_tracepoint"]["args"][2:3] == [{"size_arg": "12345"}],
                        what="raw_syscalls lseek event")["process_tracepoint"]
    # lseek's three arguments; the other three registers hold whatever the caller left
    assert len(ev["args"]) == 7, ev["args"]
    assert ev["args"][:4] == [{"syscall_id": {"id": 8, "abi": "x64"}}, {"size_arg": str(fd)}, {"size_arg": "12345"},
                              {"size_arg": str(os.SEEK_END)}], ev["args"]
    assert all(list(a) == ["size_arg"] for a in ev["args"][4:]), ev["args"]


def test_upstream_policies_accepted():
    err = agent.stderr()
    assert "tracing policy sys-openat (%s/tracingpolicy__openat_write.yaml) accepted" % UPSTREAM in err, err
    assert "10 accepted, 0 refused" in err, err


def main():
    global agent
    try:
        require_root()
    except Skip as e:
        print("SKIP all: %s" % e)
        print("integration: 0 passed, 0 failed, 1 skipped")
        return 0
    if not os.path.exists("/sys/kernel/tracing/events/syscalls/sys_exit_openat"):
        print("SKIP all: no syscalls/sys_exit_* tracepoints")
        print("integration: 0 passed, 0 failed, 1 skipped")
        return 0
    for name, text in (("ret-exists", "x\n"), ("retf-ok", "ok\n"), ("rd-file", "hello from the read test\n"),
                       ("cl", "")):
        with open(os.path.join(TMP, name), "w") as f:
            f.write(text)
    args = []
    for name, text in (("ret.yaml", RET_POLICY), ("retf.yaml", RETF_POLICY), ("io.yaml", IO_POLICY),
                       ("net.yaml", NET_POLICY), ("unix.yaml", UNIX_POLICY), ("raw.yaml", RAW_POLICY),
                       ("iov.yaml", IOV_POLICY), ("long.yaml", LONG_POLICY), ("md.yaml", MAXDATA_POLICY)):
        p = os.path.join(TMP, name)
        with open(p, "w") as f:
            f.write(text)
        args += ["--tracing-policy", p]
    up = os.path.join(UPSTREAM, "tracingpolicy__openat_write.yaml")
    if os.path.exists(up):
        args += ["--tracing-policy", up]
    agent = Agent(*args, "--metrics-server", "127.0.0.1:%d" % MPORT)
    tests = [test_return_probe_openat_missing_file, test_return_probe_openat_fd,
             test_match_return_args_and_return_nopost, test_read_return_copy_and_fd_path,
             test_write_size_arg_index, test_write_truncated_bytes, test_close_fd_path,
             test_connect_sockaddr, test_connect_sockaddr_un, test_writev_readv_char_iovec, test_long_paths,
             test_raw_syscalls_syscall64, test_raw_syscalls_const_buf,
             # last: its metrics scrape is a connect() of this process, which connect-sockaddr reports
             test_write_max_data]
    if os.path.exists(up):
        tests.append(test_upstream_policies_accepted)
    try:
        rc = run_tests(tests)
    finally:
        code = agent.stop()
        if code != 0:
            print("agent exit code %d: %s" % (code, agent.stderr()[-2000:]))
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
