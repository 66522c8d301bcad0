#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""usdts: USDT probes of tests/helpers/usdt_target found in its
.note.stapsdt, arguments of every operand kind the notes use (registers,
memory at a register plus a displacement, base + index * scale, constants)
read in the kernel with exact event fields, a semaphore-guarded probe that
fires only while the agent is attached (uprobe ref_ctr_offset), a plain
uprobe with refCtrOffsets, in-kernel filtering, and clear refusals (a missing
probe names provider:name and the binary)."""

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
TMP = tempfile.mkdtemp(prefix="tg-usdt-")
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    atexit.register(shutil.rmtree, TMP, True)
TARGET = os.path.join(HELPERS, "usdt_target")
UPROBE_TARGET = os.path.join(HELPERS, "uprobe_target")


def notes(path):
    """provider:name -> (pc, semaphore) from readelf: the reference the agent's own reader is checked against."""
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True, check=True).stdout
    res = {}
    for m in re.finditer(r"Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+), Base: 0x[0-9a-f]+, "
                         r"Semaphore: (0x[0-9a-f]+)", out):
        res["%s:%s" % (m.group(1), m.group(2))] = (int(m.group(3), 16), int(m.group(4), 16))
    return res


def file_offset(path, addr):
    """A virtual address's file offset, through the loadable segment holding it."""
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True, check=True).stdout
    for m in re.finditer(r"LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)", out):
        off, va, fsz = (int(x, 16) for x in m.groups())
        if va <= addr < va + fsz:
            return addr - va + off
    raise AssertionError("no loadable segment of %s holds %#x" % (path, addr))


def usdt(name, probe, args, extra=""):
    text = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "%s"
spec:
  usdts:
  - path: "%s"
    provider: "tg"
    name: "%s"
""" % (name, TARGET, probe)
    if args:
        text += "    args:\n" + "".join("    - index: %d\n      type: \"%s\"\n" % a for a in args)
    return text + extra


def policies():
    n = notes(TARGET)
    pc, sema = n["tg:counted"]
    return {
        "usdt-regs": usdt("usdt-regs", "regs", [(0, "int32"), (1, "int64"), (2, "string")],
                          """    message: "regs probe"
    tags: ["usdt-test"]
    selectors:
    - matchArgs:
      - index: 2
        operator: "Prefix"
        values: ["usdt-"]
"""),
        "usdt-mem": usdt("usdt-mem", "mem", [(0, "int32"), (1, "int64"), (2, "int16")]),
        "usdt-indexed": usdt("usdt-indexed", "indexed", [(0, "int64")]),
        "usdt-consts": usdt("usdt-consts", "consts", [(0, "int32"), (1, "int64"), (2, "uint64")]),
        "usdt-guarded": usdt("usdt-guarded", "guarded", [(0, "uint32")]),
        "up-refctr": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "up-refctr"
spec:
  uprobes:
  - path: "%s"
    offsets:
    - %d
    refCtrOffsets:
    - %d
""" % (TARGET, file_offset(TARGET, pc), file_offset(TARGET, sema)),
        # refused
        "usdt-missing": usdt("usdt-missing", "no_such_probe", []),
        "usdt-bad-index": usdt("usdt-bad-index", "regs", [(7, "int32")]),
        "usdt-bad-type": usdt("usdt-bad-type", "regs", [(0, "file")]),
        "usdt-set-reg": usdt("usdt-set-reg", "regs", [(0, "int32")], """    selectors:
    - matchActions:
      - action: Set
        argIndex: 0
        argValue: 32
"""),
        # Set writes the volatile R of tg:set when A (slot 1) is 55
        "usdt-set": usdt("usdt-set", "set", [(0, "int32"), (1, "int32")], """    selectors:
    - matchArgs:
      - index: 1
        operator: "Equal"
        values: ["55"]
      matchActions:
      - action: Set
        argIndex: 0
        argValue: 32
"""),
        # uprobe_target's tg:req passes a struct tg_req *, typed by its BTF file
        "usdt-btf": """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "usdt-btf"
spec:
  usdts:
  - path: "%s"
    btfPath: "%s"
    provider: "tg"
    name: "req"
    args:
    - index: 0
      type: "int64"
      btfType: "tg_req"
      resolve: "id"
    - index: 0
      type: "string"
      btfType: "tg_req"
      resolve: "inner.label"
    - index: 0
      type: "uint16"
      btfType: "tg_req"
      resolve: "port"
""" % (UPROBE_TARGET, UPROBE_TARGET + ".btf.o"),
    }


ACCEPTED, REFUSED = 8, 4


def usdts(policy):
    return lambda ev: ev.get("process_usdt", {}).get("policy_name") == policy


def run(*argv):
    r = subprocess.run(list(argv), capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, (argv, r)
    return r


def fire(a, b, s, n=1):
    p = subprocess.Popen([TARGET, str(a), str(b), s, str(n)], stdout=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL)
    out = p.communicate()[0]
    assert p.returncode == 0, out
    return p.pid, out


def test_registers_and_selector():
    fire(1, 2, "filtered")                       # dropped in the kernel by the Prefix selector
    pid, _ = fire(-7, -9000000000, "usdt-hello")
    ev = agent.wait_for(usdts("usdt-regs"), what="process_usdt tg:regs")["process_usdt"]
    assert ev["process"]["pid"] == pid and ev["process"]["binary"] == TARGET, ev["process"]
    assert ev["parent"]["pid"] == os.getpid(), ev["parent"]
    assert ev["path"] == TARGET and ev["provider"] == "tg" and ev["name"] == "regs", ev
    assert ev["args"] == [{"int_arg": -7}, {"long_arg": "-9000000000"}, {"string_arg": "usdt-hello"}], ev["args"]
    assert ev["action"] == "KPROBE_ACTION_POST" and ev["message"] == "regs probe" and ev["tags"] == ["usdt-test"], ev
    settle(agent)
    assert len([e for e in agent.read() if usdts("usdt-regs")(e)]) == 1


def test_memory_operands():
    pid, _ = fire(4242, 77, "x")
    ev = agent.wait_for(lambda e: usdts("usdt-mem")(e) and e["process_usdt"]["process"]["pid"] == pid,
                        what="process_usdt tg:mem")["process_usdt"]
    # A, B and (short)-B, from the stack at displacements off %rsp
    assert ev["args"] == [{"int_arg": 4242}, {"long_arg": "77"}, {"int_arg": -77}], ev["args"]
    ev = agent.wait_for(lambda e: usdts("usdt-indexed")(e) and e["process_usdt"]["process"]["pid"] == pid,
                        what="process_usdt tg:indexed")["process_usdt"]
    # table[4242 & 3] = 77 + 2, at (%rsp,%rax,8)
    assert ev["args"] == [{"long_arg": "79"}], ev["args"]


def test_constants():
    pid, _ = fire(1, 1, "c")
    ev = agent.wait_for(lambda e: usdts("usdt-consts")(e) and e["process_usdt"]["process"]["pid"] == pid,
                        what="process_usdt tg:consts")["process_usdt"]
    assert ev["args"] == [{"int_arg": 5}, {"long_arg": "-9"}, {"size_arg": "300000000000"}], ev["args"]


def test_semaphore_guarded():
    pid, out = fire(31, 0, "g", 2)
    # the kernel counted the semaphores of the attached probes up (ref_ctr_offset), not the others
    assert out.count("guarded: on") == 2, out
    assert "semaphores: regs=1 mem=1 indexed=1 consts=1 guarded=1 counted=1" in out, out
    evs = []
    agent.wait_for(lambda e: usdts("usdt-guarded")(e) and e["process_usdt"]["process"]["pid"] == pid and
                   evs.append(e) is None and len(evs) == 2, what="two process_usdt tg:guarded")
    assert [e["process_usdt"]["args"] for e in evs] == [[{"uint_arg": 31}]] * 2, evs


def test_uprobe_ref_ctr_offsets():
    pid, out = fire(3, 0, "r")
    ev = agent.wait_for(lambda e: e.get("process_uprobe", {}).get("policy_name") == "up-refctr" and
                        e["process_uprobe"]["process"]["pid"] == pid, what="process_uprobe up-refctr")
    pc, _ = notes(TARGET)["tg:counted"]
    assert ev["process_uprobe"]["offset"] == str(file_offset(TARGET, pc)), ev
    assert "counted=1" in out, out


SET_REFUSED = (r"tracing policy usdt-set \(.*\) refused: usdt tg:set: the Set action writes the probe's memory "
               r"with the BPF helper bpf_probe_write_user, which this kernel does not give uprobe programs")


def test_set():
    """Set writes the probe's memory argument in the matching call only (argIndex 0 = R), reported
    as KPROBE_ACTION_SET with R as read before the write. A kernel in lockdown (integrity) withholds
    bpf_probe_write_user: the policy is then refused, saying so (the VM check tests the write)."""
    if re.search(SET_REFUSED, agent.stderr()):
        _, out = fire(55, 0, "set-refused")
        assert "set: 0" in out, out
        return
    _, out = fire(56, 0, "no-set")
    assert "set: 0" in out, out
    pid, out = fire(55, 0, "set")
    assert "set: 32" in out, out
    ev = agent.wait_for(lambda e: usdts("usdt-set")(e) and e["process_usdt"]["process"]["pid"] == pid,
                        what="process_usdt tg:set")["process_usdt"]
    assert ev["args"] == [{"int_arg": 0}, {"int_arg": 55}], ev["args"]
    assert ev["action"] == "KPROBE_ACTION_SET", ev
    settle(agent)
    assert len([e for e in agent.read() if usdts("usdt-set")(e)]) == 1


def test_btf_resolve():
    """btfPath + btfType + resolve on a USDT argument: the struct it points to, read in the binary"""
    if not os.path.exists(UPROBE_TARGET + ".btf.o"):
        raise Skip("no %s.btf.o" % UPROBE_TARGET)
    p = subprocess.Popen([UPROBE_TARGET, "4321", "0", "usdt-req"], stdin=subprocess.DEVNULL)
    assert p.wait() == 0
    ev = agent.wait_for(lambda e: usdts("usdt-btf")(e) and e["process_usdt"]["process"]["pid"] == p.pid,
                        what="process_usdt tg:req")["process_usdt"]
    assert ev["args"] == [{"long_arg": "4321"}, {"string_arg": "in-4321"}, {"uint_arg": 4321}], ev["args"]


def test_refusals():
    err = agent.stderr()
    assert re.search(r"tracing policy usdt-missing \(.*\) refused: usdt tg:no_such_probe not found in the binary "
                     r"%s" % re.escape(TARGET), err), err
    assert re.search(r"tracing policy usdt-bad-index \(.*\) refused: line \d+: usdt tg:regs in %s at 0x[0-9a-f]+: "
                     r"the probe has 3 arguments \(\\?\"-4@%%edi -8@%%rsi 8@%%rdx\\?\"\), no argument 7"
                     % re.escape(TARGET), err), err
    assert re.search(r"tracing policy usdt-bad-type \(.*\) refused: line \d+: usdt argument type file is not "
                     r"supported \(integer types and string are\)", err), err
    assert re.search(r"tracing policy usdt-set-reg \(.*\) refused: line \d+: action Set: argIndex 0 is usdt tg:regs "
                     r"argument 0, which the probe at 0x[0-9a-f]+ in %s passes as a register \(\\?\"-4@%%edi "
                     r"-8@%%rsi 8@%%rdx\\?\"\), not in memory" % re.escape(TARGET), err), err
    refused = 1 if re.search(SET_REFUSED, err) else 0
    assert "%d accepted, %d refused" % (ACCEPTED - refused, REFUSED + refused) in err, err


def test_semaphores_released():
    """after the agent detached, nothing counts the semaphores: the guarded probe is off again"""
    out = run(TARGET, "1", "1", "after").stdout
    assert "guarded: off" in out and "guarded=0 counted=0" in out, out


def test_generate_usdts():
    """tetra tracingpolicy generate usdts lists the target's probes (read by the agent's own note
    parser) with labels and types, and the policy it writes validates"""
    tetra = os.path.join(os.path.dirname(HELPERS.rstrip("/")), "..", "bin", "tetra")
    r = subprocess.run([tetra, "tracingpolicy", "generate", "usdts", "-b", TARGET], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode()
    assert re.search(r'- args:\n    - index: 0\n      label: "-4@%edi"\n      type: int32\n(.*\n)*?    name: regs\n'
                     r'    path: .*usdt_target\n    provider: tg\n', out), out
    path = os.path.join(TMP, "generated-usdts.yaml")
    with open(path, "w") as f:
        f.write(out)
    r = subprocess.run([tetra, "tracingpolicy", "validate", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    r = subprocess.run([tetra, "tracingpolicy", "generate", "usdts", "-b", "/etc/passwd"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode != 0 and "/etc/passwd is not an ELF file" in r.stderr.decode(), r.stderr.decode()


def main():
    global agent
    try:
        require_root()
        if not os.path.exists(TARGET):
            raise Skip("%s not built" % TARGET)
    except Skip as e:
        print("SKIP all: %s" % e)
        print("usdt: 0 passed, 0 failed, 1 skipped")
        return 0
    args = []
    for name, text in policies().items():
        path = os.path.join(TMP, name + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        args += ["--tracing-policy", path]
    agent = Agent(*args)
    passed = failed = skipped = 0

    def one(t):
        nonlocal passed, failed, skipped
        try:
            t()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (t.__name__, e), flush=True)
            return
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
            return
        passed += 1
        print("ok   %s" % t.__name__, flush=True)

    for t in (test_registers_and_selector, test_memory_operands, test_constants, test_semaphore_guarded,
              test_uprobe_ref_ctr_offsets, test_set, test_btf_resolve, test_refusals):
        one(t)
    code = agent.stop()
    err = agent.stderr()
    m = re.search(r"policy usdt-regs hook usdt/tg:regs: matched=(\d+) filtered=(\d+)", err)
    if m and int(m.group(2)) >= 1:
        passed += 1
        print("ok   test_counters_usdt_regs matched=%s filtered=%s" % m.groups())
    else:
        failed += 1
        print("FAIL test_counters_usdt_regs: %s" % (m.group(0) if m else "no counters"))
    one(test_semaphores_released)
    one(test_generate_usdts)
    if code != 0:
        failed += 1
        print("FAIL agent exit code %d\n%s" % (code, err[-3000:]))
    print("usdt: %d passed, %d failed, %d skipped" % (passed, failed, skipped), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
