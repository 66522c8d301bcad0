#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Actions beyond Post/Sigkill/Signal on this host's kernel: Post with
kernelStackTrace/userStackTrace on a syscall kprobe (symbols from
/proc/kallsyms and the process' ELF files, addresses only with
--expose-stack-addresses), and the clear refusals of what this kernel or
engine cannot run. Exact events, checked against the kernel's and the
ELF files' own symbol tables."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import atexit
import http.server
import socket
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Agent, Skip, require_root, run_tests, free_port, metric_key, scrape_metrics,  # noqa: E402
                     wait_metric)
from sentinel import settle  # noqa: E402

TMP = tempfile.mkdtemp(prefix="tg-actions-")
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    atexit.register(shutil.rmtree, TMP, True)
STACKED = os.path.join(TMP, "stacked")
LIBC = os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6")

STACK_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "stacks"
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
        values: ["%s"]
      matchActions:
      - action: Post
        kernelStackTrace: true
        userStackTrace: true
""" % STACKED

TP_STACK_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "tp-stacks"
spec:
  tracepoints:
  - subsystem: "syscalls"
    event: "sys_enter_mkdirat"
    selectors:
    - matchActions:
      - action: Post
        kernelStackTrace: true
"""


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def kallsyms():
    out = {}
    with open("/proc/kallsyms") as f:
        for line in f:
            a, t, name = line.split()[:3]
            if t in "tTwW":
                out.setdefault(name, set()).add(int(a, 16))
    return out


def libc_funcs():
    """name -> (value, size) of libc's function symbols (its file offsets: .text's are the same)."""
    out = {}
    text = subprocess.run(["readelf", "-W", "--dyn-syms", "--syms", LIBC], capture_output=True, text=True,
                          check=True).stdout
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] == "FUNC" and f[6] != "UND":
            out.setdefault(f[7].split("@")[0], (int(f[1], 16), int(f[2], 0)))
    return out


def stacked_event(agent):
    """Open STACKED from a process that stays alive until its event is exported
    (user stacks are symbolized from /proc/PID/maps, as upstream's)."""
    child = subprocess.Popen([sys.executable, "-c",
                              "import sys; open(%r).read(); sys.stdin.read()" % STACKED],
                             stdin=subprocess.PIPE)
    try:
        ev = agent.wait_for(lambda e: e.get("process_kprobe", {}).get("policy_name") == "stacks" and
                            e["process_kprobe"]["process"]["pid"] == child.pid, what="the stacks event")
        with open("/proc/%d/maps" % child.pid) as f:
            maps = f.read()
    finally:
        child.stdin.close()
        child.wait()
    return ev["process_kprobe"], maps


def check_kernel_stack(kp, exposed):
    ks = kp["kernel_stack_trace"]
    syms = [e["symbol"] for e in ks]
    # the syscall's path from the entry: its tracepoint, then the syscall dispatcher
    assert "do_syscall_64" in syms and syms[-1].startswith("entry_SYSCALL_64"), syms
    table = kallsyms()
    for e in ks:
        assert e["symbol"] in table, e
        assert int(e.get("offset", "0")) < 1 << 20, e
        if exposed:
            assert int(e["address"]) - int(e.get("offset", "0")) in table[e["symbol"]], e
        else:
            assert "address" not in e, e


def check_user_stack(kp, maps, exposed):
    us = kp["user_stack_trace"]
    first = us[0]
    # the innermost frame is libc's open wrapper, at the syscall instruction
    assert first["module"] == LIBC, first
    value, size = libc_funcs()[first["symbol"]]
    off = int(first["offset"])
    assert value <= off < value + size, (first, value, size)
    if exposed:
        addr = int(first["address"])
        for line in maps.splitlines():
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            if lo <= addr < hi:
                assert f[-1] == LIBC and addr - lo + int(f[2], 16) == off, (line, first)
                break
        else:
            raise AssertionError("address %x in no mapping" % addr)
    else:
        assert all("address" not in e for e in us), us


def with_agent(*extra):
    pol = write("stacks.yaml", STACK_POLICY)
    return Agent("--tracing-policy", pol, *extra)


def test_stack_traces_symbols_only():
    with open(STACKED, "w") as f:
        f.write("x")
    agent = with_agent()
    try:
        kp, maps = stacked_event(agent)
        assert kp["function_name"] == "__x64_sys_openat", kp
        assert kp["args"][0]["string_arg"] == STACKED, kp
        check_kernel_stack(kp, False)
        check_user_stack(kp, maps, False)
    finally:
        agent.stop()


def test_stack_traces_exposed():
    agent = with_agent("--expose-stack-addresses")
    try:
        kp, maps = stacked_event(agent)
        check_kernel_stack(kp, True)
        check_user_stack(kp, maps, True)
    finally:
        agent.stop()


def test_stack_traces_only_on_kprobes():
    pol = write("tp-stacks.yaml", TP_STACK_POLICY)
    agent = Agent("--tracing-policy", pol)
    try:
        pass
    finally:
        agent.stop()
    assert re.search(r"tracing policy tp-stacks \(.*\) refused: .*kernelStackTrace and userStackTrace are "
                     r"reported in process_kprobe events only", agent.stderr()), agent.stderr()


GETURL_FILE = os.path.join(TMP, "geturl")
NOPOST_FILE = os.path.join(TMP, "geturl-nopost")
SLOW_FILE = os.path.join(TMP, "geturl-slow")


class Hits(http.server.BaseHTTPRequestHandler):
    paths = []

    def do_GET(self):
        Hits.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


ACTIONS = "tetragon_policy_agent_actions_total"


def test_geturl_dnslookup():
    """GetUrl against a local server, DnsLookup of localhost, NoPost with GetUrl (request, no event),
    a server that never answers (timeout); all counted, and the event loop kept going meanwhile."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hits)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # accepts connections (the kernel's backlog) but never answers
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(8)
    url = "http://127.0.0.1:%d" % server.server_address[1]
    pol = write("geturl.yaml", """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "geturl"
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
        values: ["%s"]
      matchActions:
      - action: GetUrl
        argUrl: "%s/hit"
      - action: DnsLookup
        argFqdn: "localhost"
    - matchArgs:
      - index: 1
        operator: "Equal"
        values: ["%s"]
      matchActions:
      - action: NoPost
      - action: GetUrl
        argUrl: "%s/nopost"
    - matchArgs:
      - index: 1
        operator: "Equal"
        values: ["%s"]
      matchActions:
      - action: GetUrl
        argUrl: "http://127.0.0.1:%d/never"
""" % (GETURL_FILE, url, NOPOST_FILE, url, SLOW_FILE, mute.getsockname()[1]))
    for f in (GETURL_FILE, NOPOST_FILE, SLOW_FILE):
        with open(f, "w") as fh:
            fh.write("x")
    mport = free_port()
    agent = Agent("--tracing-policy", pol, "--metrics-server", "127.0.0.1:%d" % mport)
    try:
        # the slow one first: the others go on while it waits for its timeout
        subprocess.run(["/bin/cat", SLOW_FILE], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["/bin/cat", GETURL_FILE], check=True, stdout=subprocess.DEVNULL)
        ev = agent.wait_for(lambda e: e.get("process_kprobe", {}).get("policy_name") == "geturl" and
                            e["process_kprobe"]["args"][0].get("string_arg") == GETURL_FILE, what="the GetUrl event")
        assert ev["process_kprobe"]["action"] == "KPROBE_ACTION_GETURL", ev
        subprocess.run(["/bin/cat", NOPOST_FILE], check=True, stdout=subprocess.DEVNULL)
        wait_metric(mport, ACTIONS, {"action": "geturl", "result": "ok"}, 2, timeout=30)
        assert sorted(Hits.paths) == ["/hit", "/nopost"], Hits.paths
        wait_metric(mport, ACTIONS, {"action": "dnslookup", "result": "ok"}, 1, timeout=30)
        # the slow request: still in flight or timed out, never blocking the events above
        wait_metric(mport, ACTIONS, {"action": "geturl", "result": "timeout"}, 1, timeout=30)
        for r in ("error", "dropped"):
            assert scrape_metrics(mport)[metric_key(ACTIONS, action="geturl", result=r)] == 0
        assert scrape_metrics(mport)[metric_key(ACTIONS, action="dnslookup", result="error")] == 0
        settle(agent)
        assert not [e for e in agent.events if e.get("process_kprobe", {}).get("args", [{}])[0].get("string_arg") ==
                    NOPOST_FILE], "NoPost posted an event"
        slow = [e for e in agent.events if e.get("process_kprobe", {}).get("args", [{}])[0].get("string_arg") ==
                SLOW_FILE]
        assert len(slow) == 1 and slow[0]["process_kprobe"]["action"] == "KPROBE_ACTION_GETURL", slow
    finally:
        agent.stop()
        server.shutdown()
        mute.close()
    assert "geturl actions: 2 ok, 0 failed, 1 timed out, 0 dropped" in agent.stderr(), agent.stderr()


def test_refusals():
    """What this engine refuses, with the reason: GetUrl on a uprobe (upstream runs it from kprobes and
    tracepoints), Set (USDT only), returnArgAction (TrackSock/UntrackSock)."""
    pols = {
        "up-geturl": """  uprobes:
  - path: "%s"
    symbols: ["getpid"]
    selectors:
    - matchActions:
      - action: DnsLookup
        argFqdn: localhost
""" % LIBC,
        "set-kprobe": """  kprobes:
  - call: "sys_openat"
    syscall: true
    selectors:
    - matchActions:
      - action: Set
        argIndex: 0
        argValue: 1
""",
        "ret-track": """  kprobes:
  - call: "sys_accept4"
    syscall: true
    return: true
    returnArg:
      index: 0
      type: "int"
    returnArgAction: TrackSock
""",
    }
    args = []
    for name, body in pols.items():
        args += ["--tracing-policy", write(name + ".yaml", "apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\n"
                                           "metadata:\n  name: \"%s\"\nspec:\n%s" % (name, body))]
    agent = Agent(*args)
    agent.stop()
    err = agent.stderr()
    # the validator's refusal, before the engine's (which says the same for lsmhooks)
    assert re.search(r"tracing policy refused: .*up-geturl.yaml:\d+:\d+: .*the DnsLookup action is not supported "
                     r"on uprobes", err), err
    assert re.search(r"tracing policy refused: .*set-kprobe.yaml:\d+:\d+: .*the Set action is only supported on "
                     r"usdts", err), err
    assert re.search(r"tracing policy ret-track \(.*\) refused: .*returnArgAction \(TrackSock/UntrackSock\)", err), err


def enforcer_policy(name, action):
    return write(name + ".yaml", """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "%s"
spec:
  lists:
  - name: "dups"
    type: "syscalls"
    values: ["sys_dup", "sys_dup2", "__ia32_sys_dup"]
  enforcers:
  - calls:
    - "list:dups"
  tracepoints:
  - subsystem: "syscalls"
    event: "sys_enter_dup"
    args:
    - index: 5
      type: "int"
    selectors:
    - matchArgs:
      - index: 5
        operator: "Equal"
        values: ["1234"]
      matchActions:
      - action: "NotifyEnforcer"
        %s
""" % (name, action))


def test_enforcer_refused_here():
    """This kernel has no kprobes, bpf_override_return nor fmod_ret on syscalls: an enforcer with argSig
    only (a kprobe on the syscall function) and one with argError (an override) are refused, naming
    why (the VM checks, tests/vm/checks/enforcer.sh, run them where the kernel can)."""
    agent = Agent("--tracing-policy", enforcer_policy("enf-sig", "argSig: 9"),
                  "--tracing-policy", enforcer_policy("enf-err", "argError: -1"))
    agent.stop()
    err = agent.stderr()
    assert re.search(r"tracing policy enf-sig \(.*\) refused: spec.enforcers: the enforcer sends NotifyEnforcer's "
                     r"argSig from a kprobe on __x64_sys_dup, and this kernel cannot attach kprobes \(.*\); a "
                     r"Sigkill or Signal action in the selector acts at the hook itself", err), err
    assert re.search(r"tracing policy enf-err \(.*\) refused: spec.enforcers: NotifyEnforcer argError on "
                     r"__x64_sys_dup: Override on __x64_sys_dup needs bpf_override_return \(.*\) or fmod_ret on "
                     r"it \(.*\), and this kernel has neither", err), err


def main():
    try:
        require_root()
    except Skip as e:
        print("SKIP all: %s" % e)
        print("actions: 0 passed, 0 failed, 1 skipped")
        return 0
    return run_tests([test_stack_traces_symbols_only, test_stack_traces_exposed, test_stack_traces_only_on_kprobes,
                      test_geturl_dnslookup, test_refusals, test_enforcer_refused_here])


if __name__ == "__main__":
    sys.exit(main())
