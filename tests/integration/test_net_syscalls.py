#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""sockaddr operators (SAddr/NotSAddr CIDRs in IPv4 and IPv6, SPort ranges
and sets, SPortPriv/NotSPortPriv, Family) on connect's sockaddr, and
generated syscall lists (list:NAME of type generated_syscalls, served by one
raw_syscalls/sys_enter program) with real processes. Every event a selector
drops is proven dropped in the kernel by the per-hook counters the agent
logs at exit."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Agent, Skip, require_root  # noqa: E402
from sentinel import settle  # noqa: E402

agent = None
TMP = tempfile.mkdtemp(prefix="tg-net-")
ME = os.getpid()
P = 40000 + ME % 10000     # a UDP port nobody listens on: connect() still runs

HEAD = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "%s"
spec:
  kprobes:
  - call: "sys_connect"
    syscall: true
    args:
    - index: 1
      type: "sockaddr"
    selectors:
    - matchPIDs:
      - operator: In
        values: [%d]
      matchArgs:
"""

POLICIES = {
    # the address a sockaddr holds is the "source" one for upstream's operators
    "sock-saddr": HEAD % ("sock-saddr", ME) + """      - index: 1
        operator: "SAddr"
        values: ["127.0.0.1/32", "::1"]
      - index: 1
        operator: "SPort"
        values: ["%d", "%d:%d"]
""" % (P, P + 10, P + 12),
    "sock-notsaddr": HEAD % ("sock-notsaddr", ME) + """      - index: 1
        operator: "NotSAddr"
        values: ["127.0.0.0/8", "10.0.0.0/8"]
      - index: 1
        operator: "SPortPriv"
""",
    "sock-family": HEAD % ("sock-family", ME) + """      - index: 1
        operator: "Family"
        values: ["AF_INET6"]
      - index: 1
        operator: "NotSPortPriv"
""",
    # more ports than fit inline: a set in gt_ints
    "sock-portset": HEAD % ("sock-portset", ME) + """      - index: 1
        operator: "NotSPort"
        values: ["1", "2", "3", "4", "%d:%d"]
""" % (P, P + 5),
}


GEN = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "%s"
spec:
  lists:
  - name: "all"
    type: "generated_syscalls"
  kprobes:
  - call: "list:all"
    syscall: true
    args:
    - index: 0
      type: "int"
    selectors:
    - matchPIDs:
      - operator: In
        values: [CHILD]
%s"""

# a long plain syscalls list: one program on raw_syscalls/sys_enter with the list's numbers
LONG = ["umask", "getppid", "sys_chroot", "__x64_sys_mknod", "acct", "swapon", "swapoff", "pivot_root",
        "sethostname", "setdomainname", "iopl", "ioperm", "sync", "flock", "quotactl",
        "syncfs", "vhangup", "reboot"]
LIST = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "gen-list"
spec:
  lists:
  - name: "long"
    type: "syscalls"
    values: [%s]
  kprobes:
  - call: "list:long"
    syscall: true
    selectors:
    - matchPIDs:
      - operator: In
        values: [CHILD]
""" % ", ".join('"%s"' % v for v in LONG)

FTRACE = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "gen-ftrace"
spec:
  lists:
  - name: "vfs"
    type: "generated_ftrace"
    pattern: "^vfs_*"
  kprobes:
  - call: "list:vfs"
"""

# a child older than the agent, so matchPIDs can name it; it runs what it reads
CHILD = {}
CHILD_CODE = """import os, sys
for line in sys.stdin:
    if line.startswith("go"):
        os.umask(0o27); os.umask(0o22); os.getppid()
        sys.stdout.write("done\\n"); sys.stdout.flush()
"""


def kprobes(policy):
    return lambda ev: ev.get("process_kprobe", {}).get("policy_name") == policy


def sockaddrs(policy):
    return [(e["process_kprobe"]["args"][0]["sockaddr_arg"]["addr"], e["process_kprobe"]["args"][0]
             ["sockaddr_arg"].get("port", 0)) for e in agent.read() if kprobes(policy)(e)]


def udp_connect(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.connect((addr, port))


def test_sockaddr_operators():
    udp_connect("127.0.0.1", P)           # saddr: posts; portset: filtered
    udp_connect("127.0.0.2", P)           # saddr: other address, filtered
    udp_connect("::1", P)                 # saddr, family: posts
    udp_connect("127.0.0.1", P + 1)       # saddr: port not in the set, filtered
    udp_connect("127.0.0.1", P + 11)      # saddr: in the range, posts
    udp_connect("::1", 53)                # notsaddr (v4 CIDRs only), privileged: posts
    udp_connect("127.0.0.1", 53)          # notsaddr: in 127/8, filtered
    udp_connect("127.0.0.1", P + 20)      # portset: posts
    agent.wait_count(kprobes("sock-saddr"), 3, what="SAddr events")
    agent.wait_count(kprobes("sock-portset"), 1, what="NotSPort events")
    settle(agent)
    want = {
        "sock-saddr": [("127.0.0.1", P), ("::1", P), ("127.0.0.1", P + 11)],
        "sock-notsaddr": [("::1", 53)],
        "sock-family": [("::1", P)],
        "sock-portset": [("127.0.0.1", P + 11), ("::1", 53), ("127.0.0.1", 53), ("127.0.0.1", P + 20)],
    }
    for pol, w in want.items():
        assert sockaddrs(pol) == w, (pol, sockaddrs(pol), w)


def gen_events(policy):
    return [e["process_kprobe"] for e in agent.read() if kprobes(policy)(e)]


def test_generated_syscalls():
    c = CHILD["proc"]
    c.stdin.write(b"go\n")
    c.stdin.flush()
    assert c.stdout.readline() == b"done\n"
    agent.wait_for(lambda e: kprobes("gen-all")(e) and e["process_kprobe"]["function_name"]
                   == "__x64_sys_getppid", what="getppid from the generated list")
    agent.wait_count(kprobes("gen-umask"), 1, what="umask(027) from the generated list")
    settle(agent)
    got = gen_events("gen-all")
    assert all(k["process"]["pid"] == c.pid for k in got), got
    names = [k["function_name"] for k in got]
    i = names.index("__x64_sys_umask")
    assert names[i:i + 3] == ["__x64_sys_umask", "__x64_sys_umask", "__x64_sys_getppid"], names
    assert [got[i]["args"][0]["int_arg"], got[i + 1]["args"][0]["int_arg"]] == [0o27, 0o22], got[i:i + 2]
    # the long list: its syscalls only (not the child's reads and writes), from one program
    names = [k["function_name"] for k in gen_events("gen-list")]
    i = names.index("__x64_sys_umask")
    assert names[i:i + 3] == ["__x64_sys_umask", "__x64_sys_umask", "__x64_sys_getppid"], names
    assert set(names) <= {"__x64_sys_" + v.split("_sys_")[-1].replace("sys_", "") for v in LONG}, names
    assert "kprobes[0] list:long: syscall tracepoint on raw_syscalls/sys_enter" in agent.stderr(), \
        agent.stderr()[-2000:]
    # matchArgs on args[0] of every syscall: only calls whose first argument is 027
    um = gen_events("gen-umask")
    assert all(k["args"][0]["int_arg"] == 0o27 for k in um), um
    assert "__x64_sys_umask" in [k["function_name"] for k in um], um


def counters(err, policy):
    m = re.search(r"policy %s hook [^:]+: matched=(\d+) filtered=(\d+) lost=(\d+) rate_limited=(\d+)"
                  % re.escape(policy), err)
    assert m, "no counters for %s" % policy
    return [int(x) for x in m.groups()]


def check_counters(err, results):
    """What the kernel matched is exactly what user space got; what it filtered never came."""
    want = {"sock-saddr": 5, "sock-notsaddr": 7, "sock-family": 7, "sock-portset": 4,
            "gen-all": 10, "gen-umask": 10}
    for policy, fil in want.items():
        name = "test_counters_" + policy.replace("-", "_")
        try:
            c = counters(err, policy)
            assert c[0] == results[policy] and c[1] >= fil, (policy, c, results[policy])
            print("ok   %s %s" % (name, c), flush=True)
            yield True
        except Exception as e:
            print("FAIL %s: %s" % (name, e), flush=True)
            yield False


def main():
    global agent
    try:
        require_root()
    except Skip as e:
        print("SKIP all: %s" % e)
        print("net-syscalls: 0 passed, 0 failed, 1 skipped")
        return 0
    CHILD["proc"] = subprocess.Popen([sys.executable, "-c", CHILD_CODE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
    POLICIES["gen-all"] = GEN.replace("CHILD", str(CHILD["proc"].pid)) % ("gen-all", "")
    POLICIES["gen-list"] = LIST.replace("CHILD", str(CHILD["proc"].pid))
    POLICIES["gen-umask"] = GEN.replace("CHILD", str(CHILD["proc"].pid)) % ("gen-umask", """      matchArgs:
      - index: 0
        operator: "Equal"
        values: ["23"]
""")
    args = []
    p = os.path.join(TMP, "gen-ftrace.yaml")
    with open(p, "w") as f:
        f.write(FTRACE)
    args += ["--tracing-policy", p]
    for name, text in POLICIES.items():
        p = os.path.join(TMP, name + ".yaml")
        with open(p, "w") as f:
            f.write(text)
        args += ["--tracing-policy", p]
    agent = Agent(*args)
    tests = [test_sockaddr_operators, test_generated_syscalls]
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
    CHILD["proc"].stdin.close()
    CHILD["proc"].wait()
    code = agent.stop()     # drains the ring buffer: the child's last calls too
    results = {p: len([e for e in agent.read() if kprobes(p)(e)]) for p in POLICIES}
    err = agent.stderr()
    # the generated_ftrace list is refused, clearly; every other policy runs
    refused = [l for l in err.splitlines() if re.search(r"tracing policy \S+ .*refused: ", l)]
    accepted = set(re.findall(r"tracing policy (\S+) \(\S+\) accepted", err))
    if accepted != set(POLICIES) or len(refused) != 1 or not re.search(
            r"gen-ftrace .*refused: list vfs is of type generated_ftrace: its kernel functions need kprobes",
            refused[0]):
        failed += 1
        print("FAIL policies refused:\n%s" % "\n".join(l for l in err.splitlines() if "refused" in l), flush=True)
    else:
        passed += 1
        print("ok   test_generated_ftrace_refused", flush=True)
    for ok in check_counters(err, results):
        passed += ok
        failed += not ok
    if code != 0:
        failed += 1
        print("FAIL agent exit code %d\n%s" % (code, err[-3000:]), flush=True)
    print("net-syscalls: %d passed, %d failed, %d skipped" % (passed, failed, skipped), flush=True)
    shutil.rmtree(TMP, True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
