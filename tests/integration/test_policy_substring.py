#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""SubString on a syscall's string argument, evaluated in the kernel (an LPM
Prefix lookup at each byte of the string's first 255): openat of paths that
hold a value anywhere, at the start, at the end, and of paths that do not,
one value seen only past byte 255 (documented: not compared); SubStringIgnCase
(ASCII case folded on both sides). Real opens,
exact events; the rest proven dropped in the kernel by the hook's
counters."""

import os
import re
import shutil
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Agent, Skip, require_root  # noqa: E402
from sentinel import settle  # noqa: E402

agent = None
TMP = tempfile.mkdtemp(prefix="tg-substr-")
ME = os.getpid()

POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "substr"
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchPIDs:
      - operator: In
        values: [%d]
      matchArgs:
      - index: 1
        operator: "SubString"
        values: ["needle", "tg-sub-end"]
    - matchPIDs:
      - operator: In
        values: [%d]
      matchArgs:
      - index: 1
        operator: "SubStringIgnCase"
        values: ["MiXeD-Case"]
""" % (ME, ME)


def opened():
    return [e["process_kprobe"]["args"][0]["string_arg"] for e in agent.read()
            if e.get("process_kprobe", {}).get("policy_name") == "substr"]


def try_open(p):
    try:
        os.close(os.open(p, os.O_RDONLY))
    except OSError:
        pass


def test_substring_in_kernel():
    deep = TMP + "/" + "d" * 250 + "/needle"   # the value past byte 255
    # SubStringIgnCase: ASCII letters of both sides folded
    want = [TMP + "/hay-needle-stack", TMP + "/needle-first", TMP + "/x.tg-sub-end", TMP + "/a-mixed-CASE-b",
            TMP + "/MIXED-CASE"]
    for p in [want[0], TMP + "/haystack", want[1], TMP + "/needl", want[2], deep, TMP + "/tg-sub-en", want[3],
              TMP + "/mixed_case", want[4], TMP + "/NEEDLE"]:
        try_open(p)
    agent.wait_count(lambda ev: ev.get("process_kprobe", {}).get("policy_name") == "substr", len(want),
                     what="SubString events")
    settle(agent)
    got = opened()
    assert got == want, "SubString events: %r, want %r" % (got, want)


def main():
    global agent
    try:
        require_root()
    except Skip as e:
        print("SKIP all: %s" % e)
        print("substring: 0 passed, 0 failed, 1 skipped")
        return 0
    p = os.path.join(TMP, "substr.yaml")
    with open(p, "w") as f:
        f.write(POLICY)
    agent = Agent("--tracing-policy", p)
    passed = failed = 0
    try:
        test_substring_in_kernel()
        passed += 1
        print("ok   test_substring_in_kernel", flush=True)
    except Exception:
        failed += 1
        print("FAIL test_substring_in_kernel", flush=True)
        traceback.print_exc()
    code = agent.stop()
    err = agent.stderr()
    # the other opens of this process were dropped in the kernel, not in user space
    m = re.search(r"policy substr hook \S+: matched=(\d+) filtered=(\d+)", err)
    if m and int(m.group(1)) == 5 and int(m.group(2)) >= 6 and code == 0:
        passed += 1
        print("ok   test_counters (%s)" % m.group(0), flush=True)
    else:
        failed += 1
        print("FAIL test_counters: exit %d, %s" % (code, m.group(0) if m else err[-2000:]), flush=True)
    shutil.rmtree(TMP, True)
    print("substring: %d passed, %d failed, 0 skipped" % (passed, failed), flush=True)
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
