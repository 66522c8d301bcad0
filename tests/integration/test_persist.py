#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What survives the agent: enforcement pinned in bpffs (--keep-sensors-on-exit,
--release-pinned-bpf, --bpf-dir), policies added over gRPC
(--persist-grpc-policies), and exec_ids of processes running across a restart.

Every agent here pins under a private /sys/fs/bpf/tg-test-persist-<pid>, never
the default tree, and the tree is removed at the end whatever happens."""

import atexit
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, ROOT, Agent, Skip, exit_of, require_root, run_tests  # noqa: E402
from sentinel import settle  # noqa: E402

TETRA = os.path.join(ROOT, BUILD, "bin", "tetra")
TMP = tempfile.mkdtemp(prefix="tg-persist-")
BPFDIR = "tg-test-persist-%d" % os.getpid()
PINS = os.path.join("/sys/fs/bpf", BPFDIR)
HONEYPOT = os.path.join(TMP, "honeypot")
MONITORED = os.path.join(TMP, "monitored")
DISABLED = os.path.join(TMP, "disabled")
ENFORCED = os.path.join(TMP, "enforced")


def cleanup():
    # unpinning detaches whatever a failed test left enforcing
    for d in (PINS, PINS + "_old"):
        shutil.rmtree(d, True)
    if not os.environ.get("TG_KEEP_TEST_DIRS"):
        shutil.rmtree(TMP, True)


atexit.register(cleanup)


def kill_policy(name, path, binaries=False):
    # matchBinaries: the pinned lifecycle programs must keep tracking new processes without the agent
    sel = """
    - matchBinaries:
      - operator: "In"
        values: ["/usr/bin/cat"]
      matchArgs:""" if binaries else """
    - matchArgs:"""
    return """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "%s"
spec:
  kprobes:
  - call: "__x64_sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:%s
      - index: 1
        operator: "Equal"
        values: ["%s"]
      matchActions:
      - action: Sigkill
""" % (name, sel, path)


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def cat(path):
    """Exit status of cat reading path: -9 when a policy killed it."""
    return subprocess.run(["/usr/bin/cat", path], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def kprobes(policy):
    return lambda ev: ev.get("process_kprobe", {}).get("policy_name") == policy


def tetra(agent, *args):
    p = subprocess.run([TETRA, "--server-address", "unix://" + os.path.join(agent.dir, "tetragon.sock")] +
                       list(args), stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.stdout.decode()


def policies(agent):
    return {p["name"]: p for p in json.loads(tetra(agent, "tracingpolicy", "list", "-o", "json")).get("policies", [])}


def sigkill(agent):
    agent.proc.send_signal(signal.SIGKILL)
    agent.proc.wait()
    agent.err.close()
    agent.out.close()


def keep_args(*extra):
    return ("--keep-sensors-on-exit", "--bpf-dir", BPFDIR) + extra


# ---- --keep-sensors-on-exit ----------------------------------------------------------------


def test_sigkill_enforced_while_agent_killed_and_after_restart():
    kill = write(os.path.join(TMP, "kill-bin.yaml"), kill_policy("honeypot", HONEYPOT, binaries=True))
    a1 = Agent(*keep_args("--tracing-policy", kill))
    try:
        assert cat(HONEYPOT) == -9
        a1.wait_for(kprobes("honeypot"), what="the honeypot kprobe")
        # pinned as loaded, in upstream's layout
        inst = os.path.join(PINS, "honeypot", "generic_kprobe")
        assert os.path.isdir(inst), os.listdir(PINS)
        (idir,) = os.listdir(inst)
        assert "link0" in os.listdir(os.path.join(inst, idir)), os.listdir(os.path.join(inst, idir))
        for prog in ("tg_sched_exec", "tg_sched_fork", "tg_sched_exit"):
            assert os.path.exists(os.path.join(PINS, "__base__", prog, "link")), prog
        assert os.path.exists(os.path.join(PINS, "execve_map"))
    finally:
        sigkill(a1)
    # no agent: the kernel still kills, more than once, the cat only (a new process each time)
    assert cat(HONEYPOT) == -9
    assert cat(HONEYPOT) == -9
    assert subprocess.run(["/usr/bin/head", "-c1", HONEYPOT], capture_output=True).returncode == 0

    a2 = Agent(*keep_args("--release-pinned-bpf=false", "--tracing-policy", kill))
    try:
        assert "moved to %s_old" % PINS in a2.stderr(), a2.stderr()
        assert "removed %s_old" % PINS in a2.stderr(), a2.stderr()
        assert not os.path.exists(PINS + "_old")
        pids = []
        for _ in range(3):
            p = subprocess.Popen(["/usr/bin/cat", HONEYPOT], stdout=subprocess.DEVNULL)
            assert p.wait() == -9
            pids.append(p.pid)
        evs = a2.wait_count(kprobes("honeypot"), 3, what="3 honeypot kprobes")
        for ev in evs:
            a2.wait_for(exit_of(ev["process_kprobe"]["process"]["exec_id"]), what="the killed cat's exit")
        settle(a2)
        evs = [e["process_kprobe"] for e in a2.read() if kprobes("honeypot")(e)]
        # one event per trigger: the previous agent's programs (detached now) posted none here
        assert sorted(e["process"]["pid"] for e in evs) == sorted(pids), evs
        assert all(e["action"] == "KPROBE_ACTION_SIGKILL" for e in evs), evs
        # one instance of the policy: the handover left no duplicate attached
        assert len(os.listdir(os.path.join(PINS, "honeypot", "generic_kprobe"))) == 1
    finally:
        assert a2.stop() == 0, a2.stderr()
    # a clean exit with --keep-sensors-on-exit keeps enforcing too
    assert "stay attached, pinned in %s" % PINS in a2.stderr(), a2.stderr()
    assert cat(HONEYPOT) == -9


def test_release_pinned_bpf():
    kill = write(os.path.join(TMP, "kill.yaml"), kill_policy("honeypot", HONEYPOT))
    a1 = Agent(*keep_args("--tracing-policy", kill))
    assert a1.stop() == 0, a1.stderr()
    assert cat(HONEYPOT) == -9
    assert os.path.isdir(PINS)
    # upstream's default: the pinned tree goes at startup; without --keep-sensors-on-exit nothing is pinned
    a2 = Agent("--bpf-dir", BPFDIR)
    try:
        assert "released the pinned BPF programs and maps of %s" % PINS in a2.stderr(), a2.stderr()
        assert not os.path.exists(PINS)
        assert cat(HONEYPOT) == 0
    finally:
        assert a2.stop() == 0, a2.stderr()
    assert not os.path.exists(PINS)
    assert cat(HONEYPOT) == 0


def test_keep_off_policy_removed_at_exit():
    # a policy deleted or an agent stopped without --keep-sensors-on-exit enforces no more
    kill = write(os.path.join(TMP, "kill.yaml"), kill_policy("honeypot", HONEYPOT))
    a1 = Agent(*keep_args("--tracing-policy", kill))
    try:
        assert cat(HONEYPOT) == -9
        tetra(a1, "tracingpolicy", "delete", "honeypot")
        assert not os.path.exists(os.path.join(PINS, "honeypot"))
        assert cat(HONEYPOT) == 0
    finally:
        assert a1.stop() == 0, a1.stderr()
    a2 = Agent("--bpf-dir", BPFDIR, "--tracing-policy", kill)
    try:
        assert cat(HONEYPOT) == -9
        assert not os.path.exists(PINS)
    finally:
        assert a2.stop() == 0
    assert cat(HONEYPOT) == 0


def test_bad_bpf_dir():
    for bad in ("..", "a/../b", ""):
        try:
            a = Agent("--keep-sensors-on-exit", "--bpf-dir", bad)
        except AssertionError as e:
            assert "--bpf-dir" in str(e), e
        else:
            a.stop()
            raise AssertionError("--bpf-dir %r accepted" % bad)


# ---- --persist-grpc-policies ---------------------------------------------------------------


def test_grpc_policies_restored():
    store = os.path.join(TMP, "store")
    args = ("--persist-grpc-policies", "--persist-grpc-policies-dir", store)
    files = {n: write(os.path.join(TMP, n + ".yaml"), kill_policy(n, p))
             for n, p in (("mon-kill", MONITORED), ("dis-kill", DISABLED), ("enf-kill", ENFORCED))}
    a1 = Agent(*args)
    try:
        tetra(a1, "tracingpolicy", "add", files["mon-kill"], "--mode", "monitor")
        tetra(a1, "tracingpolicy", "add", files["dis-kill"])
        tetra(a1, "tracingpolicy", "add", files["enf-kill"])
        tetra(a1, "tracingpolicy", "disable", "dis-kill")
        assert stat.S_IMODE(os.stat(store).st_mode) == 0o700
        names = sorted(os.listdir(store))
        assert names == ["dis-kill::grpc.json", "enf-kill::grpc.json", "mon-kill::grpc.json"], names
        for n in names:
            assert stat.S_IMODE(os.stat(os.path.join(store, n)).st_mode) == 0o600
        rec = json.load(open(os.path.join(store, "dis-kill::grpc.json")))
        assert rec["enabled"] is False and "dis-kill" in rec["yaml"], rec
        assert "monitor" in json.load(open(os.path.join(store, "mon-kill::grpc.json")))["yaml"]
    finally:
        assert a1.stop() == 0, a1.stderr()

    a2 = Agent(*args)
    try:
        ps = policies(a2)
        assert ps["mon-kill"]["state"] == "TP_STATE_ENABLED", ps["mon-kill"]
        assert ps["mon-kill"]["mode"] == "TP_MODE_MONITOR", ps["mon-kill"]
        assert ps["dis-kill"]["state"] == "TP_STATE_DISABLED", ps["dis-kill"]
        assert ps["enf-kill"]["state"] == "TP_STATE_ENABLED", ps["enf-kill"]
        assert ps["enf-kill"].get("mode", "TP_MODE_ENFORCE") == "TP_MODE_ENFORCE", ps["enf-kill"]
        assert all(p["domain"] == "grpc" for p in ps.values()), ps
        # and they behave so: monitor reports without killing, disabled does nothing, enforce kills
        assert cat(MONITORED) == 0
        assert cat(DISABLED) == 0
        assert cat(ENFORCED) == -9
        ev = a2.wait_for(kprobes("mon-kill"), what="the monitor-mode kprobe")["process_kprobe"]
        assert ev["action"] == "KPROBE_ACTION_SIGKILL", ev  # what it would do; not applied
        a2.wait_for(kprobes("enf-kill"), what="the enforcing kprobe")
        settle(a2)
        assert not [e for e in a2.read() if kprobes("dis-kill")(e)]
        # changes go to the store: delete, enable, mode
        tetra(a2, "tracingpolicy", "delete", "enf-kill")
        tetra(a2, "tracingpolicy", "enable", "dis-kill")
        tetra(a2, "tracingpolicy", "set-mode", "mon-kill", "enforce")
        assert sorted(os.listdir(store)) == ["dis-kill::grpc.json", "mon-kill::grpc.json"]
    finally:
        assert a2.stop() == 0, a2.stderr()

    a3 = Agent(*args)
    try:
        ps = policies(a3)
        assert sorted(ps) == ["dis-kill", "mon-kill"], ps
        assert ps["dis-kill"]["state"] == "TP_STATE_ENABLED", ps
        assert ps["mon-kill"].get("mode", "TP_MODE_ENFORCE") == "TP_MODE_ENFORCE", ps
        assert cat(MONITORED) == -9
    finally:
        assert a3.stop() == 0, a3.stderr()


def test_grpc_store_hostile_files():
    store = os.path.join(TMP, "hostile")
    os.makedirs(store, 0o700)
    good = kill_policy("good-pol", HONEYPOT + "-none")
    write(os.path.join(store, "good-pol::grpc.json"), json.dumps({"yaml": good, "enabled": True}))
    write(os.path.join(store, "garbage::grpc.json"), "{not json")
    write(os.path.join(store, "noformat.json"), json.dumps({"yaml": good, "enabled": True}))
    write(os.path.join(store, "wrong-name::grpc.json"), json.dumps({"yaml": kill_policy("other", HONEYPOT),
                                                                     "enabled": True}))
    write(os.path.join(store, "badtype::grpc.json"), json.dumps({"yaml": 5, "enabled": "yes"}))
    write(os.path.join(store, "badyaml::grpc.json"), json.dumps({"yaml": "spec: [", "enabled": True}))
    write(os.path.join(store, "writable::grpc.json"), json.dumps({"yaml": good, "enabled": True}), 0o666)
    os.symlink("/etc/passwd", os.path.join(store, "link::grpc.json"))
    os.mkdir(os.path.join(store, "dir::grpc.json"))
    write(os.path.join(store, "README"), "notes\n")
    a = Agent("--persist-grpc-policies", "--persist-grpc-policies-dir", store)
    try:
        assert sorted(policies(a)) == ["good-pol"], policies(a)
        err = a.stderr()
        for name in ("garbage::grpc.json", "noformat.json", "wrong-name::grpc.json", "badtype::grpc.json",
                     "badyaml::grpc.json", "writable::grpc.json", "link::grpc.json", "dir::grpc.json"):
            line = [ln for ln in err.splitlines() if os.path.join(store, name) in ln]
            assert line and "level=error" in line[0], (name, err)
        assert "1 of 9 gRPC tracing policies restored" in err, err
    finally:
        assert a.stop() == 0, a.stderr()


# ---- exec_ids across a restart ---------------------------------------------------------------


def test_exec_id_stable_across_restart():
    a1 = Agent()
    # a forked subshell that never execs (a clone key) whose children exec sleep
    sh = subprocess.Popen(["/bin/bash", "-c", "(while :; do /bin/sleep 0.3; done) & echo $!; wait"],
                          stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    sub = int(sh.stdout.readline())
    long = subprocess.Popen(["/bin/sleep", "1000"])
    try:
        e1 = a1.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("pid") == long.pid,
                         what="the sleep's exec")["process_exec"]["process"]
        kid1 = a1.wait_for(lambda e: e.get("process_exec", {}).get("parent", {}).get("pid") == sub,
                           what="a child of the subshell")["process_exec"]["parent"]
        bash1 = a1.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("pid") == sh.pid,
                            what="bash's exec")["process_exec"]["process"]
    finally:
        assert a1.stop() == 0
    a2 = Agent()
    try:
        # found in /proc: the very exec_ids the exec events gave them
        e2 = a2.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("pid") == long.pid,
                         what="the sleep from /proc")["process_exec"]["process"]
        assert "procFS" in e2["flags"], e2
        assert e2["exec_id"] == e1["exec_id"], (e1, e2)
        assert e2["parent_exec_id"] == e1["parent_exec_id"], (e1, e2)
        kid2 = a2.wait_for(lambda e: e.get("process_exec", {}).get("parent", {}).get("pid") == sub and
                           "procFS" not in e["process_exec"]["process"]["flags"],
                           what="a new child of the subshell")["process_exec"]["parent"]
        assert kid2["exec_id"] == kid1["exec_id"], (kid1, kid2)
        assert kid2["parent_exec_id"] == bash1["exec_id"], (kid2, bash1)
        assert "iterator unavailable" not in a2.stderr()
        long.kill()
        long.wait()
        ex = a2.wait_for(lambda e: e.get("process_exit", {}).get("process", {}).get("pid") == long.pid,
                         what="the sleep's exit")["process_exit"]["process"]
        assert ex["exec_id"] == e1["exec_id"], (e1, ex)
    finally:
        if long.poll() is None:
            long.kill()
        sh.kill()
        subprocess.run(["kill", str(sub)])
        sh.wait()
        a2.stop()


def main():
    try:
        require_root()
        if not os.path.isdir("/sys/fs/bpf"):
            raise Skip("no /sys/fs/bpf")
    except Skip as e:
        print("SKIP all: %s" % e)
        print("integration: 0 passed, 0 failed, 1 skipped")
        return 0
    # written before any policy watches them: the test itself would be killed opening them
    for path in (HONEYPOT, MONITORED, DISABLED, ENFORCED):
        write(path, "secret\n", 0o644)
    return run_tests([
        test_sigkill_enforced_while_agent_killed_and_after_restart,
        test_release_pinned_bpf,
        test_keep_off_policy_removed_at_exit,
        test_bad_bpf_dir,
        test_grpc_policies_restored,
        test_grpc_store_hostile_files,
        test_exec_id_stable_across_restart,
    ])


if __name__ == "__main__":
    sys.exit(main())
