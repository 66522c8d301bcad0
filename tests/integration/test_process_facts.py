#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Process facts users opt into, as upstream reports them: `ancestors`
(--enable-ancestors, per event type), `environment_variables`
(--enable-process-environment-variables, --filter-environment-variables)
and `user.name` (--username-metadata=unix, from the passwd file of the
process' own root: a mount namespace or chroot has its own users)."""

import ctypes
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (AGENT, BUILD, ROOT, Agent, Skip, exit_of, free_port, require_root, run_tests,  # noqa: E402
                     scrape_metrics)

TETRA = os.path.join(ROOT, BUILD, "bin", "tetra")

TMP = tempfile.mkdtemp(prefix="tg-facts-")
MKDIRS = os.path.join(TMP, "mk")
os.mkdir(MKDIRS)

TP_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "facts-mkdir"
spec:
  tracepoints:
  - subsystem: "syscalls"
    event: "sys_enter_mkdir"
    args:
    - index: 5
      type: "string"
    selectors:
    - matchArgs:
      - index: 5
        operator: "Prefix"
        values: ["%s"]
""" % MKDIRS


def policy_file():
    p = os.path.join(TMP, "tp.yaml")
    with open(p, "w") as f:
        f.write(TP_POLICY)
    return p


def exec_args(args):
    return lambda e: e.get("process_exec", {}).get("process", {}).get("arguments") == args


def exec_bin_args(binary, args):
    return lambda e: (e.get("process_exec", {}).get("process", {}).get("arguments") == args and
                      e["process_exec"]["process"].get("binary") == binary)


# this test -> sh1 -> sh2 -> sh3 -> echo; each sh runs a command list (`...; true`), so it
# forks instead of exec'ing its last command
NESTED = "/bin/sh -c \"/bin/sh -c '/bin/echo anc-%s; true'; true\"; true"


def check_chain(agent, ev, tag):
    """ev's parent and ancestors are the nested shells, this test, then up to pid 1."""
    proc, parent, anc = ev["process"], ev["parent"], ev.get("ancestors", [])
    sh3 = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("exec_id") ==
                         parent["exec_id"], what="sh3 exec")["process_exec"]
    assert parent["binary"] == "/bin/sh", parent
    assert proc["parent_exec_id"] == parent["exec_id"], (proc, parent)
    # the shells: sh3 is echo's parent; sh2, sh1 come first among the ancestors
    assert [a["binary"] for a in anc[:2]] == ["/bin/sh", "/bin/sh"], [a["binary"] for a in anc]
    assert anc[0]["exec_id"] == parent["parent_exec_id"], (anc[0], parent)
    for i in range(1, len(anc)):
        assert anc[i]["exec_id"] == anc[i - 1]["parent_exec_id"], (i, anc[i], anc[i - 1])
    # then this test process (python), up to init: pid 1 ends the list, as upstream's walk
    assert anc[2]["pid"] == os.getpid(), (anc[2], os.getpid())
    assert anc[-1]["pid"] == 1, anc[-1]
    assert all(a["pid"] > 2 for a in anc[:-1]), [a["pid"] for a in anc]
    # the ancestors of sh3's own exec: one more (sh3's parent's parent is sh1)
    assert [a["exec_id"] for a in sh3.get("ancestors", [])] == [a["exec_id"] for a in anc[1:]], sh3
    return anc


def test_ancestors_exec_exit_and_tracepoint():
    require_root()
    if not os.path.exists("/sys/kernel/tracing/events/syscalls/sys_enter_mkdir"):
        raise Skip("no syscalls/sys_enter_mkdir tracepoint")
    agent = Agent("--enable-ancestors", "base,tracepoint", "--tracing-policy", policy_file())
    try:
        subprocess.run(["/bin/sh", "-c", NESTED % "1"], check=True, stdout=subprocess.DEVNULL)
        ev = agent.wait_for(exec_args("anc-1"), what="echo exec")["process_exec"]
        anc = check_chain(agent, ev, "1")
        ex = agent.wait_for(exit_of(ev["process"]["exec_id"]), what="echo exit")["process_exit"]
        assert [a["exec_id"] for a in ex.get("ancestors", [])] == [a["exec_id"] for a in anc], ex
        # a tracepoint event of a nested shell's child carries its ancestors too
        d = os.path.join(MKDIRS, "one")
        subprocess.run(["/bin/sh", "-c", "/bin/sh -c '/bin/mkdir %s; true'; true" % d], check=True)
        tp = agent.wait_for(lambda e: e.get("process_tracepoint", {}).get("policy_name") == "facts-mkdir",
                            what="process_tracepoint")["process_tracepoint"]
        assert tp["process"]["binary"] == "/bin/mkdir", tp["process"]
        tanc = tp.get("ancestors", [])
        assert tanc and tanc[0]["binary"] == "/bin/sh" and tanc[1]["pid"] == os.getpid(), tanc
        assert tanc[0]["exec_id"] == tp["parent"]["parent_exec_id"], tp
        # off by default: no environment, no user
        assert "environment_variables" not in ev["process"] and "user" not in ev["process"], ev["process"]
    finally:
        assert agent.stop() == 0, agent.stderr()


def test_ancestors_per_event_type():
    require_root()
    if not os.path.exists("/sys/kernel/tracing/events/syscalls/sys_enter_mkdir"):
        raise Skip("no syscalls/sys_enter_mkdir tracepoint")
    # base only: exec/exit carry them, tracepoint events do not
    agent = Agent("--enable-ancestors", "base", "--tracing-policy", policy_file())
    try:
        d = os.path.join(MKDIRS, "two")
        subprocess.run(["/bin/sh", "-c", "/bin/sh -c '/bin/mkdir %s; true'; true" % d], check=True)
        tp = agent.wait_for(lambda e: {"string_arg": d} in e.get("process_tracepoint", {}).get("args", []),
                            what="process_tracepoint")["process_tracepoint"]
        assert "ancestors" not in tp, tp
        ex = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("exec_id") ==
                            tp["process"]["exec_id"], what="mkdir exec")["process_exec"]
        assert ex["ancestors"][0]["binary"] == "/bin/sh", ex
    finally:
        assert agent.stop() == 0, agent.stderr()
    # upstream's list: without base nothing; unknown names ignored (we warn about both)
    r = subprocess.run([AGENT, "--enable-ancestors", "kprobe,bogus", "--help"], capture_output=True,
                       stdin=subprocess.DEVNULL, env=dict(os.environ, TETRAGON_READ_SYSTEM_CONFIG="false"))
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert 'unknown event type "bogus" ignored' in err, err
    assert 'without "base" no event carries ancestors' in err, err
    # a repeated flag adds to the list, as upstream's string slice
    r = subprocess.run([AGENT, "--enable-ancestors", "kprobe", "--enable-ancestors", "base", "--help"],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, TETRAGON_READ_SYSTEM_CONFIG="false"))
    assert r.returncode == 0 and b"without" not in r.stderr, r.stderr


def spawn_with_env(argv, envp):
    """fork + execve with exactly these environment strings (any bytes, even without '=')."""
    libc = ctypes.CDLL(None, use_errno=True)
    cargv = (ctypes.c_char_p * (len(argv) + 1))(*argv, None)
    cenv = (ctypes.c_char_p * (len(envp) + 1))(*envp, None)
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open("/dev/null", os.O_WRONLY)
            os.dup2(fd, 1)
            libc.execve(argv[0], cargv, cenv)
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status


HOSTILE = b'x"\\\n\t\x01\x1b[31m\xff\xfe</script>\xe2\x82'


def test_environment_variables_filtered_and_escaped():
    require_root()
    agent = Agent("--enable-process-environment-variables",
                  "--filter-environment-variables", "TG_A,TG_HOSTILE",
                  "--filter-environment-variables", "TG_NOEQ,TG_EMPTY")
    try:
        spawn_with_env([b"/bin/echo", b"env-1"],
                       [b"TG_A=a=b", b"TG_B=dropped", b"TG_HOSTILE=" + HOSTILE, b"TG_NOEQ", b"TG_EMPTY=",
                        b"PATH=/bin"])
        ev = agent.wait_for(exec_args("env-1"), what="echo exec")["process_exec"]
        envs = ev["process"]["environment_variables"]
        # upstream's form: split at the first '='; none: key "invalid"; invalid UTF-8 as U+FFFD
        assert envs == [
            {"Key": "TG_A", "Value": "a=b"},
            {"Key": "TG_HOSTILE", "Value": HOSTILE.decode("utf-8", "replace").replace("\ufffd\ufffd", "\ufffd")},
            {"Key": "invalid", "Value": "TG_NOEQ"},
            {"Key": "TG_EMPTY"},
        ], envs
        # the whole line is one JSON object: no raw newline or control byte escaped the encoder
        with open(agent.export, "rb") as f:
            line = [ln for ln in f.read().split(b"\n") if b'"env-1"' in ln and b"process_exec" in ln][0]
        assert all(c >= 0x20 for c in line), line
        assert b"\\u001b[31m" in line and b"\\n\\t\\u0001" in line, line
        ex = agent.wait_for(exit_of(ev["process"]["exec_id"]), what="echo exit")["process_exit"]
        assert ex["process"]["environment_variables"] == envs, ex
        # longer than the kernel reads (16 KiB): cut, the cut variable left out, the rest kept
        spawn_with_env([b"/bin/echo", b"env-2"], [b"TG_A=first", b"TG_HOSTILE=" + b"y" * 20000, b"TG_EMPTY=last"])
        ev = agent.wait_for(exec_args("env-2"), what="echo exec")["process_exec"]
        assert ev["process"]["environment_variables"] == [{"Key": "TG_A", "Value": "first"}], ev["process"]
    finally:
        assert agent.stop() == 0, agent.stderr()
    assert "envs_truncated=1" in agent.stderr(), agent.stderr()


def test_environment_variables_unfiltered():
    require_root()
    agent = Agent("--enable-process-environment-variables")
    try:
        spawn_with_env([b"/bin/echo", b"env-3"], [b"ONE=1", b"TWO=2"])
        ev = agent.wait_for(exec_args("env-3"), what="echo exec")["process_exec"]
        assert ev["process"]["environment_variables"] == [{"Key": "ONE", "Value": "1"},
                                                          {"Key": "TWO", "Value": "2"}], ev["process"]
        # a process started without environment: no field
        spawn_with_env([b"/bin/echo", b"env-4"], [])
        ev = agent.wait_for(exec_args("env-4"), what="echo exec")["process_exec"]
        assert "environment_variables" not in ev["process"], ev["process"]
    finally:
        assert agent.stop() == 0, agent.stderr()


def unused_uid(start):
    uid = start
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


def make_chroot(d, passwd_text):
    """A root holding /bin/sleep and its libraries; etc/passwd an absolute symlink to /realpw."""
    libs = subprocess.run(["ldd", "/bin/sleep"], capture_output=True, check=True).stdout.decode()
    files = ["/bin/sleep"] + [w for ln in libs.splitlines() for w in ln.split() if w.startswith("/")]
    for f in files:
        dst = d + f
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.realpath(f), dst)
    os.makedirs(d + "/etc", exist_ok=True)
    with open(d + "/realpw", "w") as f:
        f.write(passwd_text)
    # resolved outside the chroot this names the host's /realpw, which does not exist
    os.symlink("/realpw", d + "/etc/passwd")


def test_username_host_namespace_and_chroot():
    require_root()
    assert not os.path.exists("/realpw")
    ns_uid = unused_uid(4242)
    ch_uid = unused_uid(ns_uid + 1)
    port = free_port()
    agent = Agent("--username-metadata", "unix", "--metrics-server", "127.0.0.1:%d" % port)
    try:
        # host users: root, nobody; a uid the host does not know has no user field
        subprocess.run(["/bin/echo", "user-root"], check=True, stdout=subprocess.DEVNULL)
        ev = agent.wait_for(exec_args("user-root"), what="root exec")["process_exec"]
        assert ev["process"]["user"] == {"name": "root"}, ev["process"]
        nobody = pwd.getpwuid(65534).pw_name
        subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c",
                        "/bin/echo user-nobody; true"], check=True, stdout=subprocess.DEVNULL)
        ev = agent.wait_for(exec_args("user-nobody"), what="nobody exec")["process_exec"]
        assert ev["process"]["uid"] == 65534 and ev["process"]["user"] == {"name": nobody}, ev["process"]
        subprocess.run(["setpriv", "--reuid=%d" % ns_uid, "--regid=%d" % ns_uid, "--clear-groups", "/bin/sh", "-c",
                        "/bin/echo user-unknown; true"], check=True, stdout=subprocess.DEVNULL)
        ev = agent.wait_for(exec_args("user-unknown"), what="unknown-uid exec")["process_exec"]
        assert ev["process"]["uid"] == ns_uid and "user" not in ev["process"], ev["process"]

        # a mount namespace whose /etc/passwd is another file: its names, not the host's
        pw = os.path.join(TMP, "nspasswd")
        with open(pw, "w") as f:
            f.write("nsroot:x:0:0:ns root:/:/bin/sh\n+nis:::\nbad line\nfacts-user:x:%d:%d::/:/bin/sh\n"
                    "facts-dup:x:%d:%d::/:/bin/sh\n" % (ns_uid, ns_uid, ns_uid, ns_uid))
        script = ("mount --make-rprivate / && mount --bind %s /etc/passwd && "
                  "/bin/echo ns-root; "
                  "setpriv --reuid=%d --regid=%d --clear-groups /bin/echo ns-user; "
                  # the shell stays (the echos are gone when the agent looks): its root is theirs
                  "/bin/sleep 2" % (pw, ns_uid, ns_uid))
        subprocess.run(["unshare", "-m", "/bin/sh", "-c", script], check=True, stdout=subprocess.DEVNULL)
        ev = agent.wait_for(exec_bin_args("/bin/echo", "ns-root"), what="ns root exec")["process_exec"]
        assert ev["process"]["user"] == {"name": "nsroot"}, ev["process"]
        ev = agent.wait_for(exec_bin_args("/bin/echo", "ns-user"), what="ns user exec")["process_exec"]
        assert ev["process"]["uid"] == ns_uid, ev["process"]
        assert ev["process"]["user"] == {"name": "facts-user"}, ev["process"]   # the first entry of a uid
        # the host's names are still the host's
        subprocess.run(["/bin/echo", "user-root-2"], check=True, stdout=subprocess.DEVNULL)
        ev = agent.wait_for(exec_args("user-root-2"), what="root exec")["process_exec"]
        assert ev["process"]["user"] == {"name": "root"}, ev["process"]

        # a chroot: its etc/passwd, a symlink, resolved inside the chroot, never on the host
        croot = os.path.join(TMP, "chroot")
        make_chroot(croot, "chroot-user:x:%d:%d::/:/bin/sh\n" % (ch_uid, ch_uid))
        p = subprocess.Popen(["chroot", "--userspec=%d:%d" % (ch_uid, ch_uid), croot, "/bin/sleep", "30"])
        try:
            ev = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("pid") == p.pid and
                                e["process_exec"]["process"]["binary"] == "/bin/sleep",
                                what="chroot sleep exec")["process_exec"]
            assert ev["process"]["user"] == {"name": "chroot-user"}, ev["process"]
        finally:
            p.kill()
            p.wait()
        # the lookups' results where operators look (the page is rendered each second)
        deadline = time.time() + 10
        while True:
            mt = scrape_metrics(port)
            got = {r: mt.get(("tetragon_user_name_lookups_total", (("result", r),))) for r in
                   ("resolved", "unknown_uid", "failed")}
            if got["resolved"] >= 5 and got["unknown_uid"] >= 1 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert got["resolved"] >= 5 and got["unknown_uid"] >= 1 and got["failed"] is not None, got
    finally:
        assert agent.stop() == 0, agent.stderr()
    m = re.search(r"stats: .* user_names=(\d+) user_unknown_uid=(\d+) user_failed=(\d+)", agent.stderr())
    assert m and int(m.group(1)) >= got["resolved"] and int(m.group(2)) >= got["unknown_uid"], agent.stderr()[-2000:]


def test_grpc_stream_and_ancestor_filter():
    """The same fields reach gRPC clients (tetra decodes the protobuf); ancestor_binary_regex filters."""
    require_root()
    sock = os.path.join(TMP, "grpc.sock")
    # the export keeps only execs with an ancestor named like the marker shell
    marker_sh = os.path.join(TMP, "facts-anc-sh")
    shutil.copy2("/bin/sh", marker_sh)
    agent = Agent("--enable-ancestors", "base", "--enable-process-environment-variables",
                  "--filter-environment-variables", "TG_G", "--username-metadata", "unix",
                  "--server-address", "unix://" + sock,
                  "--export-allowlist", '{"event_set":["PROCESS_EXEC"],"ancestor_binary_regex":["/facts-anc-sh$"]}')
    out = os.path.join(TMP, "tetra.out")
    with open(out, "wb") as o:
        t = subprocess.Popen([TETRA, "getevents", "-o", "json", "--server-address", "unix://" + sock,
                              "--process", "^/bin/echo$"], stdin=subprocess.DEVNULL, stdout=o,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 15
        while not re.search(r"GetEvents client .* connected", agent.stderr()):
            assert time.time() < deadline and t.poll() is None, agent.stderr()
            time.sleep(0.05)
        # marker sh -> sh -> echo: echo's ancestors hold the marker shell
        spawn_with_env([marker_sh.encode(), b"-c", b"/bin/sh -c '/bin/echo grpc-facts; true'; true"],
                       [b"TG_G=g", b"OTHER=o", b"PATH=/bin"])
        # a direct child of the marker shell: it is the parent, not an ancestor (filtered out)
        spawn_with_env([marker_sh.encode(), b"-c", b"/bin/echo grpc-facts-child; true"], [b"PATH=/bin"])
        ev = agent.wait_for(exec_args("grpc-facts"), what="filtered export of echo")["process_exec"]
        assert ev["ancestors"][0]["binary"] == marker_sh, ev
        deadline = time.time() + 15
        got = None
        while got is None:
            for ln in open(out, "rb").read().decode().splitlines():
                e = json.loads(ln)
                if e.get("process_exec", {}).get("process", {}).get("arguments") == "grpc-facts":
                    got = e["process_exec"]
            assert got is not None or time.time() < deadline, open(out).read()
            time.sleep(0.05)
        assert got["process"]["environment_variables"] == [{"Key": "TG_G", "Value": "g"}], got
        assert got["process"]["user"] == {"name": "root"}, got
        assert [a["exec_id"] for a in got["ancestors"]] == [a["exec_id"] for a in ev["ancestors"]], (got, ev)
        # the sentinel of this export is an exec that matches too; the child's is not there
        spawn_with_env([marker_sh.encode(), b"-c", b"/bin/sh -c '/bin/echo grpc-facts-end; true'; true"],
                       [b"PATH=/bin"])
        agent.wait_for(exec_args("grpc-facts-end"), what="the last marker exec")
        assert not [e for e in agent.read() if exec_args("grpc-facts-child")(e)], "child of the marker exported"
        assert all(e.get("process_exec", {}).get("ancestors") for e in agent.read()), "unfiltered event exported"
    finally:
        t.terminate()
        t.wait(timeout=30)
        assert agent.stop() == 0, agent.stderr()


if __name__ == "__main__":
    try:
        sys.exit(run_tests([test_ancestors_exec_exit_and_tracepoint, test_ancestors_per_event_type,
                            test_environment_variables_filtered_and_escaped, test_environment_variables_unfiltered,
                            test_username_host_namespace_and_chroot, test_grpc_stream_and_ancestor_filter]))
    finally:
        shutil.rmtree(TMP, True)
