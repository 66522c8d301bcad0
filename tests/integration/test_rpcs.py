#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The API beyond events and policies, end to end with tetra: GetInfo
(tetra info), GetDebug/SetDebug (tetra loglevel; the agent really logs at
the new level; nobody may not change it), the deprecated sensor RPCs (tetra
sensors), tetra bugtool's archive, tetra tracingpolicy generate's policies
(valid, and loaded by the agent), and tetra getevents --reconnect across an
agent restart on the same socket."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import AGENT, BUILD, ROOT, Agent, execs, require_root, run_tests, free_port  # noqa: E402

TETRA = os.path.join(ROOT, BUILD, "bin", "tetra")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
TMP = tempfile.mkdtemp(prefix="tg-rpcs-")
os.chmod(TMP, 0o755)
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    import atexit
    atexit.register(shutil.rmtree, TMP, True)


def tetra(*args, user=None, timeout=60, cwd=None):
    # stdin: a pipe or file would make tetra getevents read events from it
    p = subprocess.run((user or []) + [TETRA] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def sock_of(a):
    return "unix://" + os.path.join(a.dir, "tetragon.sock")


def wait_log(a, pattern, timeout=15, start=0):
    """The agent's first stderr line matching pattern at or after offset start, and its offset."""
    deadline = time.time() + timeout
    rx = re.compile(pattern)
    while True:
        text = a.stderr()
        m = rx.search(text, start)
        if m:
            return m
        if time.time() > deadline:
            raise AssertionError("agent never logged /%s/; its log:\n%s" % (pattern, text[start:][-3000:]))
        time.sleep(0.05)


def marker(name):
    path = os.path.join(TMP, name)
    shutil.copy("/bin/true", path)
    os.chmod(path, 0o755)
    return path


# ---- GetInfo ---------------------------------------------------------------------------------

def test_tetra_info():
    require_root()
    mport = free_port()
    a = Agent("--metrics-server", "127.0.0.1:%d" % mport, "--rb-size", "16M")
    try:
        rc, out, err = tetra("info", "--server-address", sock_of(a))
        assert rc == 0, err
        info = json.loads(out)
        assert list(info) == ["Name", "Version", "Probes", "Conf", "Build"], list(info)
        rc, ver, _ = tetra("version", "--server", "--server-address", sock_of(a))
        assert info["Name"] == "tetragon" and "Server version: %s\n" % info["Version"] in ver, (info["Version"], ver)
        conf = info["Conf"]
        assert conf["server-address"] == sock_of(a), conf["server-address"]
        assert conf["metrics-server"] == "127.0.0.1:%d" % mport
        assert conf["rb-size"] == 16 * 1024 * 1024 and conf["export-filename"] == a.export, conf
        assert conf["enable-process-cred"] is False and conf["tracing-policy"] == [], conf
        # what --probe-features says, one probe each
        assert info["Probes"]["btf"] is True and info["Probes"]["ringbuf"] is True, info["Probes"]
        assert set(info["Probes"]) >= {"kprobe", "tracepoint", "bpf_lsm", "send_signal"}, info["Probes"]
        assert re.fullmatch(r"[0-9a-f]{40}", info["Build"]["Commit"]), info["Build"]
        # the probes ran in a child: the agent is still there and answers again (cached)
        rc, out2, err = tetra("info", "--server-address", sock_of(a))
        assert rc == 0 and json.loads(out2)["Probes"] == info["Probes"], err
    finally:
        assert a.stop() == 0


# ---- GetDebug / SetDebug --------------------------------------------------------------------

def test_loglevel_set_get():
    require_root()
    a = Agent()
    addr = sock_of(a)
    try:
        rc, out, err = tetra("loglevel", "get", "--server-address", addr)
        assert rc == 0 and out == "Current log level: LOG_LEVEL_INFO\n", (out, err)
        rc, out, err = tetra("loglevel", "set", "debug", "--server-address", addr)
        assert rc == 0 and out == "Log level set to: LOG_LEVEL_DEBUG\n", (out, err)
        # sentinel: the change is logged (warn) after the get above ran at info
        m = wait_log(a, r'level=warn msg="log level changed from LOG_LEVEL_INFO to LOG_LEVEL_DEBUG \(SetDebug\)"')
        before = a.stderr()[:m.start()]
        assert "level=debug" not in before, "debug lines while at info:\n" + before
        rc, out, err = tetra("log", "get", "--server-address", addr)
        assert rc == 0 and out == "Current log level: LOG_LEVEL_DEBUG\n", (out, err)
        # the agent now logs at debug: this get, and the connection it came on
        wait_log(a, r'level=debug msg="GetDebug: the current log level is LOG_LEVEL_DEBUG"', start=m.end())
        wait_log(a, r'level=debug msg="gRPC: connection from uid 0 .*on the unix socket', start=m.end())
        # upstream's other names: trace reads back as trace (logged as debug here)
        rc, out, err = tetra("loglevel", "set", "TRACE", "--server-address", addr)
        assert rc == 0 and out == "Log level set to: LOG_LEVEL_TRACE\n", (out, err)
        rc, out, err = tetra("loglevel", "get", "--server-address", addr)
        assert out == "Current log level: LOG_LEVEL_TRACE\n", out
        rc, out, err = tetra("loglevel", "set", "warning", "--server-address", addr)
        assert rc == 0 and out == "Log level set to: LOG_LEVEL_WARN\n", (out, err)
        m = wait_log(a, r'msg="log level changed from LOG_LEVEL_TRACE to LOG_LEVEL_WARN')
        rc, out, err = tetra("loglevel", "get", "--server-address", addr)
        assert out == "Current log level: LOG_LEVEL_WARN\n", out
        rc, out, err = tetra("loglevel", "set", "info", "--server-address", addr)
        assert rc == 0, err
        m2 = wait_log(a, r'msg="log level changed from LOG_LEVEL_WARN to LOG_LEVEL_INFO', start=m.end())
        between = a.stderr()[m.end():m2.start()]
        assert "level=debug" not in between and "level=info" not in between, "logged below warn:\n" + between
        # bad input: tetra refuses it before calling (exit 2)
        rc, out, err = tetra("loglevel", "set", "loud", "--server-address", addr)
        assert rc == 2 and "invalid log level: loud" in err and not out, (rc, err)
        rc, out, err = tetra("loglevel", "set", "--server-address", addr)
        assert rc == 2 and "usage: tetra loglevel set [trace|debug|info|warning|error|fatal|panic]" in err, err
    finally:
        assert a.stop() == 0


def test_nobody_cannot_set_debug_over_loopback_tcp():
    require_root()
    port = free_port()
    tcp = "127.0.0.1:%d" % port
    # readers may read (GetDebug is a read), changes stay root's
    a = Agent("--server-address", tcp, "--server-socket", os.path.join(TMP, "dbg-%d.sock" % port),
              "--server-public-read")
    try:
        rc, out, err = tetra("loglevel", "get", "--server-address", tcp, user=NOBODY)
        assert rc == 0 and out == "Current log level: LOG_LEVEL_INFO\n", (out, err)
        rc, out, err = tetra("loglevel", "set", "debug", "--server-address", tcp, user=NOBODY)
        assert rc == 1 and "PERMISSION_DENIED" in err and "failed to set log level" in err, (rc, err)
        assert not out, out
        assert re.search(r'level=warn msg="gRPC: SetDebug changes the agent.*uid 65534', a.stderr()), a.stderr()
        rc, out, err = tetra("loglevel", "get", "--server-address", tcp)
        assert rc == 0 and out == "Current log level: LOG_LEVEL_INFO\n", "nobody changed the level: " + out
        assert "log level changed" not in a.stderr()
        # root over the same loopback port may
        rc, out, err = tetra("loglevel", "set", "error", "--server-address", tcp)
        assert rc == 0 and out == "Log level set to: LOG_LEVEL_ERROR\n", (out, err)
    finally:
        assert a.stop() == 0


# ---- sensors ------------------------------------------------------------------------------------

def test_sensor_rpcs_answer_like_upstream():
    require_root()
    a = Agent()
    addr = sock_of(a)
    try:
        rc, out, err = tetra("sensors", "list", "--server-address", addr)
        assert rc == 0 and "__base__ (enabled) __base__" in out.splitlines(), (out, err)
        assert 'Command "sensors" is deprecated, please use the tracingpolicy command instead.' in err, err
        for verb, method, what in (("enable", "EnableSensor", "failed to enable sensor __base__"),
                                   ("disable", "DisableSensor", "failed to disable sensor __base__"),
                                   ("rm", "RemoveSensor", "failed to remove sensor")):
            rc, out, err = tetra("sensors", verb, "__base__", "--server-address", addr)
            assert rc == 1 and not out, (verb, rc, out)
            assert "%s: %s is deprecated (UNKNOWN)" % (what, method) in err, (verb, err)
        # still the same sensors, still serving
        rc, out, err = tetra("sensors", "list", "--server-address", addr)
        assert rc == 0 and "__base__ (enabled) __base__" in out.splitlines(), out
    finally:
        assert a.stop() == 0


# ---- bugtool --------------------------------------------------------------------------------------

POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "bugtool-getppid"
spec:
  tracepoints:
  - subsystem: "syscalls"
    event: "sys_enter_getppid"
"""


def test_bugtool_archive():
    require_root()
    mport = free_port()
    pol = os.path.join(TMP, "bugtool.yaml")
    with open(pol, "w") as f:
        f.write(POLICY)
    a = Agent("--metrics-server", "127.0.0.1:%d" % mport, "--tracing-policy", pol)
    # an agent's --config-dir: a setting, and a file holding a key that must stay out
    confdir = os.path.join(TMP, "conf.d")
    os.makedirs(confdir, exist_ok=True)
    with open(os.path.join(confdir, "rb-size"), "w") as f:
        f.write("16M\n")
    with open(os.path.join(confdir, "server-tls-key"), "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n")
    out_dir = tempfile.mkdtemp(prefix="bugtool-", dir=TMP)
    try:
        mexec = marker("bugtool-marker")
        subprocess.run([mexec])
        a.wait_for(execs(mexec), what="marker exec")
        rc, out, err = tetra("bugtool", "--server-address", sock_of(a), "--log-file", a.errlog,
                             "--config-dir", confdir, cwd=out_dir, timeout=120)
        assert rc == 0, err
        path = os.path.join(out_dir, "tetragon-bugtool.tar.gz")
        assert "wrote tetragon-bugtool.tar.gz" in err, err
        st = os.stat(path)
        assert (st.st_mode & 0o777) == 0o600, "archive mode %o" % st.st_mode
        with tarfile.open(path) as t:
            names = t.getnames()
            prefix = names[0].split("/")[0]
            assert re.fullmatch(r"tetragon-bugtool-\d{14}", prefix), prefix
            files = {n[len(prefix) + 1:]: t.extractfile(n).read() for n in names}
        want = {"version.txt", "info.json", "status.txt", "tracing-policies.json", "processcache.json",
                "kernel.txt", "probe-features.txt", "metrics", "agent.log", "tetragon.log", "dmesg.out",
                "tetragon-bugtool.log", "config%s/rb-size" % confdir}
        assert want <= set(files), "missing: %s" % (want - set(files))
        assert "config%s/server-tls-key" % confdir not in files, "a private key went in"
        assert not any(b"PRIVATE KEY" in v for v in files.values()), "a private key went in"
        log = files["tetragon-bugtool.log"].decode()
        assert "server-tls-key: left out, it holds a private key" in log, log
        assert "0 item(s) missing" in log or "bpftool" in log, log
        ver = files["version.txt"].decode()
        assert re.search(r"^tetra: \S+\nagent: \S+ \(at unix://", ver), ver
        info = json.loads(files["info.json"])
        assert info["Conf"]["metrics-server"] == "127.0.0.1:%d" % mport, info["Conf"]
        assert files["status.txt"].decode() == "Health Status: running\nCurrent log level: LOG_LEVEL_INFO\n"
        pols = json.loads(files["tracing-policies.json"])
        assert [p["name"] for p in pols["policies"]] == ["bugtool-getppid"], pols
        procs = [json.loads(line) for line in files["processcache.json"].decode().splitlines()]
        assert any(p["process"].get("pid") == 1 and p["color"] == "inUse" for p in procs), procs[:2]
        assert any(p["process"].get("pid") == a.proc.pid for p in procs), "the agent is not in its own cache"
        assert files["kernel.txt"].decode().startswith("uname: Linux "), files["kernel.txt"][:100]
        assert re.search(rb"^btf: yes", files["probe-features.txt"], re.M), files["probe-features.txt"]
        assert b"tetragon_build_info" in files["metrics"], files["metrics"][:300]
        assert b"tetragon running" in files["agent.log"]
        # the export file's last 4 MiB from a line start (the node's other processes may push the marker out)
        tail = files["tetragon.log"]
        with open(a.export, "rb") as f:
            whole = f.read()
        at = whole.find(tail)
        assert tail and len(tail) <= 4 << 20 and at >= 0 and (at == 0 or whole[at - 1:at] == b"\n"), \
            "tetragon.log is not the export file's tail:\n" + log
        assert mexec.encode() in tail or at > whole.index(mexec.encode()), log
        # without an agent: still an archive, saying what is missing
        rc, out, err = tetra("bugtool", "--server-address", "unix://" + os.path.join(TMP, "none.sock"), "-o",
                             os.path.join(out_dir, "down.tar.gz"), cwd=out_dir, timeout=120)
        assert rc == 0, err
        with tarfile.open(os.path.join(out_dir, "down.tar.gz")) as t:
            names = {n.split("/", 1)[1] for n in t.getnames()}
            log = [t.extractfile(n).read().decode() for n in t.getnames() if n.endswith("/tetragon-bugtool.log")][0]
        assert {"version.txt", "kernel.txt", "probe-features.txt", "tetragon-bugtool.log"} <= names, names
        assert "info.json" not in names and "GetVersion failed" in log and "skipped, the agent at" in log, log
    finally:
        assert a.stop() == 0


# ---- tracingpolicy generate -------------------------------------------------------------------------

def test_generate_validates_and_loads():
    require_root()
    gen = {}
    for g in ("empty", "all-syscalls", "all-syscalls-list"):
        rc, out, err = tetra("tracingpolicy", "generate", g, "-m", "/usr/bin/true")
        assert rc == 0, (g, err)
        path = os.path.join(TMP, "gen-%s.yaml" % g)
        with open(path, "w") as f:
            f.write(out)
        gen[g] = (path, out)
        rc, vout, verr = tetra("tracingpolicy", "validate", path)
        assert rc == 0 and vout == "%s: ok (1 policy)\n" % path, (g, vout, verr)
    assert "kind: TracingPolicy" in gen["empty"][1] and "name: empty" in gen["empty"][1]
    assert "spec: {}" in gen["empty"][1]
    calls = re.findall(r"^  - call: (\S+)$", gen["all-syscalls"][1], re.M)
    # upstream's test: a BTF function __x64_sys_NAME (SYSCALL_DEFINE0 ones such as getppid have none)
    assert "openat" in calls and "execve" in calls and len(calls) > 250, calls
    assert gen["all-syscalls"][1].count("        - /usr/bin/true\n") == len(calls)
    assert "call: list:syscalls" in gen["all-syscalls-list"][1] and "type: syscalls" in gen["all-syscalls-list"][1]
    # a policy on every function of an ELF binary, and an unknown generator
    helper = os.path.join(ROOT, BUILD, "tests", "helpers", "uprobe_target")
    rc, out, err = tetra("tracingpolicy", "generate", "uprobes", "-b", helper)
    assert rc == 0 and "- tg_uprobe_target\n" in out, err
    p = os.path.join(TMP, "gen-uprobes.yaml")
    with open(p, "w") as f:
        f.write(out)
    rc, vout, verr = tetra("tracingpolicy", "validate", p)
    assert rc == 0, verr
    rc, out, err = tetra("tracingpolicy", "generate", "kprobes-everywhere")
    assert rc == 2 and 'unknown generator "kprobes-everywhere"' in err, err
    rc, out, err = tetra("tracingpolicy", "generate", "uprobes")
    assert rc == 2 and "please use --binary option" in err, err

    # loaded by the agent: the empty one, and every syscall (a list of them) for one binary
    m = marker("gen-marker")
    rc, out, err = tetra("tracingpolicy", "generate", "all-syscalls-list", "-m", m)
    assert rc == 0, err
    listp = os.path.join(TMP, "gen-list-marker.yaml")
    with open(listp, "w") as f:
        f.write(out.replace("name: syscalls\n", "name: gen-all-syscalls\n", 1))
    a = Agent()
    try:
        rc, out, err = tetra("tracingpolicy", "add", gen["empty"][0], "--server-address", sock_of(a))
        assert rc == 0, err
        rc, out, err = tetra("tracingpolicy", "add", listp, "--server-address", sock_of(a), "--timeout", "10m",
                             timeout=700)
        assert rc == 0, err
        rc, out, err = tetra("tracingpolicy", "list", "--server-address", sock_of(a))
        assert re.search(r"^\d+ +empty +grpc +enabled ", out, re.M), out
        assert re.search(r"^\d+ +gen-all-syscalls +grpc +enabled ", out, re.M), out
        subprocess.run([m])
        ev = a.wait_for(lambda e: e.get("process_kprobe", {}).get("policy_name") == "gen-all-syscalls"
                        and e["process_kprobe"]["process"]["binary"] == m, timeout=30,
                        what="a syscall event of the marker from the generated policy")
        assert ev["process_kprobe"]["function_name"], ev
        # every syscall from one program, not ~350 (each a verification)
        rc, out, err = tetra("tracingpolicy", "list", "-o", "json", "--server-address", sock_of(a))
        pol = [p for p in json.loads(out)["policies"] if p["name"] == "gen-all-syscalls"]
        assert "raw_syscalls/sys_enter" in json.dumps(pol), pol
    finally:
        assert a.stop() == 0


# ---- getevents --reconnect ---------------------------------------------------------------------------

def test_getevents_reconnect_across_restart():
    require_root()
    d = tempfile.mkdtemp(prefix="reconnect-", dir=TMP)
    sockp = os.path.join(d, "x.sock")
    addr = "unix://" + sockp
    errp, outp = os.path.join(d, "tetra.err"), os.path.join(d, "tetra.out")
    before, after = marker("reconnect-before"), marker("reconnect-after")
    with open(errp, "wb") as e, open(outp, "wb") as o:
        t = subprocess.Popen([TETRA, "getevents", "--reconnect", "--reconnect-wait", "200ms", "--server-address", addr,
                              "-o", "compact", "--color", "never", "--process", "reconnect-(before|after)$"],
                             stdin=subprocess.DEVNULL, stdout=o, stderr=e)

    def tetra_err():
        return open(errp, "rb").read().decode(errors="replace")

    def wait_tetra(pred, what, timeout=30):
        deadline = time.time() + timeout
        while not pred():
            assert t.poll() is None, "tetra exited (%s): %s" % (t.returncode, tetra_err())
            assert time.time() < deadline, "timed out waiting for %s; tetra said:\n%s" % (what, tetra_err())
            time.sleep(0.05)

    try:
        # no agent yet: it keeps trying, with backoff, saying so
        wait_tetra(lambda: tetra_err().count("reconnecting in") >= 2, "two retries")
        assert "cannot stream from the agent at %s" % addr in tetra_err()
        assert re.search(r"reconnecting in 200ms .*\n(.*\n)*.*reconnecting in 400ms", tetra_err()), tetra_err()
        a = Agent("--server-address", addr)
        try:
            wait_tetra(lambda: "connected to the agent at %s again" % addr in tetra_err(), "the first connection")
            wait_log(a, r"GetEvents client .* connected")
            subprocess.run([before])
            wait_tetra(lambda: before.encode() in open(outp, "rb").read(), "the first agent's marker exec")
        finally:
            assert a.stop() == 0
        wait_tetra(lambda: "the stream from the agent at %s ended" % addr in tetra_err(), "the end of the stream")
        n = tetra_err().count("connected to the agent at")
        b = Agent("--server-address", addr)
        try:
            wait_tetra(lambda: tetra_err().count("connected to the agent at") > n, "the reconnection")
            wait_log(b, r"GetEvents client .* connected")
            subprocess.run([after])
            wait_tetra(lambda: after.encode() in open(outp, "rb").read(), "the new agent's marker exec")
        finally:
            assert b.stop() == 0
        lines = open(outp, "rb").read().decode().splitlines()
        assert any(re.match(r"🚀 process \S+ %s\s*$" % re.escape(before), ln) for ln in lines), lines
        assert any(re.match(r"🚀 process \S+ %s\s*$" % re.escape(after), ln) for ln in lines), lines
        assert t.poll() is None, "tetra stopped streaming"
    finally:
        t.send_signal(signal.SIGINT)
        rc = t.wait(timeout=30)
    assert rc == 0, "tetra getevents --reconnect exit status on Ctrl-C: %d: %s" % (rc, tetra_err())
    # without --reconnect the same end is final (exit 1)
    rc, out, err = tetra("getevents", "--server-address", addr)
    assert rc == 1 and "cannot reach the tetragon agent" in err, err


if __name__ == "__main__":
    sys.exit(run_tests([
        test_tetra_info,
        test_loglevel_set_get,
        test_nobody_cannot_set_debug_over_loopback_tcp,
        test_sensor_rpcs_answer_like_upstream,
        test_bugtool_archive,
        test_generate_validates_and_loads,
        test_getevents_reconnect_across_restart,
    ]))
