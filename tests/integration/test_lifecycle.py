#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Process lifecycle: the exact process_exec/process_exit events the agent
exports for real processes on the real kernel."""

import collections
import json
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (AGENT, HELPERS, NODE, Agent, Skip, exec_with_args, execs,
                     exit_of, require_root, run_tests)

agent = None
HOST_NS = {}
ME = None  # our own procFS exec event


def host_ns():
    names = {"uts": "uts", "ipc": "ipc", "mnt": "mnt", "pid": "pid",
             "pid_for_children": "pid_for_children", "net": "net", "time": "time",
             "time_for_children": "time_for_children", "cgroup": "cgroup", "user": "user"}
    out = {}
    for k, f in names.items():
        try:
            link = os.readlink("/proc/1/ns/" + f)
        except PermissionError:  # as the agent does: fall back to our own
            link = os.readlink("/proc/self/ns/" + f)
        out[k] = int(re.search(r"\[(\d+)\]", link).group(1))
    return out


def decode_exec_id(eid):
    node, ktime, pid = base64.b64decode(eid).decode().rsplit(":", 2)
    return node, int(ktime), int(pid)


def check_common(p, binary, arguments, pid=None, cwd=None):
    assert p["binary"] == binary, p
    assert p.get("arguments", "") == arguments, (p.get("arguments"), arguments)
    if pid is not None:
        assert p["pid"] == pid, (p["pid"], pid)
        assert p["tid"] == pid
    node, ktime, epid = decode_exec_id(p["exec_id"])
    assert node == NODE and epid == p["pid"] and ktime > 0, p["exec_id"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", p["start_time"]), p["start_time"]
    if cwd is not None:
        assert p["cwd"] == cwd, (p["cwd"], cwd)
    assert "parent_exec_id" in p


def test_true_with_quoted_arguments():
    args = ["/bin/true", "hello world", "it's", 'say "hi"', "plain"]
    proc = subprocess.Popen(args, cwd="/tmp")
    proc.wait()
    expected = '"hello world" it\'s "say \\"hi\\"" plain'
    # upstream wraps arguments holding a space in double quotes, nothing else escaped
    expected = '"hello world" it\'s "say "hi"" plain'
    ev = agent.wait_for(exec_with_args("/bin/true", expected), what="exec of /bin/true")
    p = ev["process_exec"]["process"]
    check_common(p, "/bin/true", expected, pid=proc.pid, cwd="/tmp")
    assert p["flags"] == "execve clone inInitTree", p["flags"]
    assert p["uid"] == 0 and p["auid"] in (0, 4294967295), p
    assert p["in_init_tree"] is True
    assert ev["node_name"] == NODE and ev["time"] == p["start_time"]
    # we are the parent
    parent = ev["process_exec"]["parent"]
    assert p["parent_exec_id"] == parent["exec_id"] == ME["exec_id"], (p["parent_exec_id"], ME["exec_id"])
    assert parent["pid"] == os.getpid()
    # credentials, capabilities and namespaces of a root process on the host
    c = p["process_credentials"]
    for k in ("uid", "gid", "euid", "egid", "suid", "sgid", "fsuid", "fsgid"):
        assert c[k] == 0, c
    assert "CAP_SYS_ADMIN" in p["cap"]["effective"] and "CAP_SYS_ADMIN" in p["cap"]["permitted"]
    for k, inum in HOST_NS.items():
        assert p["ns"][k]["inum"] == inum, (k, p["ns"][k], inum)
        assert p["ns"][k]["is_host"] is True, (k, p["ns"][k])
    assert "binary_properties" not in p
    ex = agent.wait_for(exit_of(p["exec_id"]), what="exit of /bin/true")["process_exit"]
    assert "status" not in ex and "signal" not in ex, ex  # status 0 is omitted
    assert ex["process"]["exec_id"] == p["exec_id"]
    assert ex["parent"]["exec_id"] == ME["exec_id"]
    assert ex["time"] >= p["start_time"]


def test_relative_exec_and_root_cwd():
    subprocess.run(["./true", "tg-relative"], cwd="/usr/bin", executable="./true")
    p = agent.wait_for(exec_with_args("/usr/bin/true", "tg-relative"), what="relative exec")["process_exec"]["process"]
    assert p["cwd"] == "/usr/bin" and p["flags"] == "execve clone inInitTree", p
    subprocess.run(["/bin/true", "tg-rootcwd"], cwd="/")
    p = agent.wait_for(exec_with_args("/bin/true", "tg-rootcwd"), what="exec in /")["process_exec"]["process"]
    assert p["cwd"] == "/" and p["flags"] == "execve rootcwd clone inInitTree", p


def test_shell_pipeline_linkage():
    marker = "tg-pipeline-%d" % time.time_ns()
    subprocess.run(["/bin/sh", "-c", "ls /%s 2>/dev/null | wc -l >/dev/null" % marker])
    sh = agent.wait_for(exec_with_args("/bin/sh", '-c "ls /%s 2>/dev/null | wc -l >/dev/null"' % marker),
                        what="sh exec")["process_exec"]["process"]
    ls = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("arguments") == "/" + marker,
                        what="ls exec")["process_exec"]
    wc = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("arguments") == "-l"
                        and e["process_exec"]["process"]["parent_exec_id"] == sh["exec_id"], what="wc exec")["process_exec"]
    assert ls["process"]["binary"] == "/usr/bin/ls", ls["process"]["binary"]
    assert wc["process"]["binary"] == "/usr/bin/wc", wc["process"]["binary"]
    for child in (ls, wc):
        assert child["process"]["parent_exec_id"] == sh["exec_id"]
        assert child["parent"]["exec_id"] == sh["exec_id"]
        assert child["parent"]["binary"] == "/bin/sh"
        assert child["process"]["flags"] == "execve clone inInitTree"
    assert sh["parent_exec_id"] == ME["exec_id"]
    ids = {sh["exec_id"], ls["process"]["exec_id"], wc["process"]["exec_id"]}
    assert len(ids) == 3
    for eid in ids:
        agent.wait_for(exit_of(eid), what="exit of pipeline member")


def test_exit_codes_and_signals():
    subprocess.run(["/bin/sh", "-c", "exit 3"])
    p = agent.wait_for(exec_with_args("/bin/sh", '-c "exit 3"'), what="sh exit 3")["process_exec"]["process"]
    ex = agent.wait_for(exit_of(p["exec_id"]))["process_exit"]
    assert ex.get("status") == 3 and "signal" not in ex, ex

    s = subprocess.Popen(["/bin/sleep", "1001"])
    p = agent.wait_for(exec_with_args("/bin/sleep", "1001"), what="sleep exec")["process_exec"]["process"]
    assert p["pid"] == s.pid
    s.send_signal(signal.SIGKILL)
    s.wait()
    ex = agent.wait_for(exit_of(p["exec_id"]))["process_exit"]
    assert ex["signal"] == "SIGKILL" and "status" not in ex, ex

    subprocess.run(["/bin/sh", "-c", "kill -SEGV $$"])
    p = agent.wait_for(exec_with_args("/bin/sh", '-c "kill -SEGV $$"'))["process_exec"]["process"]
    ex = agent.wait_for(exit_of(p["exec_id"]))["process_exit"]
    assert ex["signal"] == "SIGSEGV", ex


def test_setuid_binary():
    if not shutil.which("setpriv"):
        raise Skip("setpriv (util-linux) not installed")
    d = tempfile.mkdtemp(prefix="tg-suid-", dir="/tmp")
    os.chmod(d, 0o755)
    b = os.path.join(d, "suid-true")
    shutil.copy("/bin/true", b)
    os.chown(b, 0, 0)
    os.chmod(b, 0o4755)
    subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", b, "suid-marker"])
    p = agent.wait_for(exec_with_args(b, "suid-marker"), what="setuid exec")["process_exec"]["process"]
    shutil.rmtree(d)
    bp = p["binary_properties"]
    assert bp["setuid"] == 0, bp
    assert "setgid" not in bp, bp
    assert bp["privileges_changed"] == ["PRIVILEGES_RAISED_EXEC_FILE_SETUID"], bp
    c = p["process_credentials"]
    assert c["uid"] == 65534 and c["euid"] == 0 and c["gid"] == 65534 and c["egid"] == 65534, c
    assert p["uid"] == 0  # Process.uid is the effective uid


def fileless(mode):
    r = subprocess.run([os.path.join(HELPERS, "exec_fd"), mode, "/bin/true", "fileless-" + mode],
                       stderr=subprocess.PIPE)
    ino = int(re.search(rb"ino=(\d+)", r.stderr).group(1))
    ev = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("arguments") == "fileless-" + mode,
                        what="fileless exec")["process_exec"]["process"]
    assert re.match(r"^/dev/fd/\d+$", ev["binary"]), ev["binary"]
    f = ev["binary_properties"]["file"]
    assert f["inode"]["number"] == str(ino), (f, ino)
    assert f["inode"]["links"] == 0, f


def test_memfd_fexecve():
    fileless("memfd")


def test_deleted_file_exec():
    fileless("deleted")


def test_unshare_namespaces():
    if not shutil.which("unshare"):
        raise Skip("unshare (util-linux) not installed")
    subprocess.run(["unshare", "--pid", "--mount", "--fork", "/bin/sh", "-c", "exit 0 # tg-ns"])
    p = agent.wait_for(exec_with_args("/bin/sh", '-c "exit 0 # tg-ns"'), what="exec in new ns")["process_exec"]["process"]
    ns = p["ns"]
    assert ns["pid"]["inum"] != HOST_NS["pid"] and ns["pid"].get("is_host", False) is False, ns["pid"]
    assert ns["mnt"]["inum"] != HOST_NS["mnt"] and ns["mnt"].get("is_host", False) is False, ns["mnt"]
    assert ns["pid_for_children"].get("is_host", False) is False
    for k in ("uts", "ipc", "net", "cgroup", "user"):
        assert ns[k]["inum"] == HOST_NS[k] and ns[k]["is_host"] is True, (k, ns[k])
    assert p["in_init_tree"] is True  # pid 1 of its namespace


def test_long_arguments_truncated():
    long_args = ["x" * 1000 + str(i) for i in range(40)]
    subprocess.run(["/bin/true", "tg-long"] + long_args)
    p = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("arguments", "").startswith("tg-long "),
                       what="long exec")["process_exec"]["process"]
    assert "truncArgs" in p["flags"].split(), p["flags"]
    full = " ".join(["tg-long"] + long_args)
    assert len(p["arguments"]) < len(full)
    assert full.startswith(p["arguments"]), "truncated arguments must be a prefix"
    assert len(p["arguments"]) >= 16000


def test_burst_of_1000_no_loss():
    tag = "burst%d" % time.time_ns()
    for i in range(1000):
        subprocess.Popen(["/bin/true", "%s-%d" % (tag, i)])
    pred = lambda e: e.get("process_exec", {}).get("process", {}).get("arguments", "").startswith(tag + "-")
    got = agent.wait_count(pred, 1000, timeout=60, what="burst execs")
    ids = [e["process_exec"]["process"]["exec_id"] for e in got]
    assert len(set(ids)) == 1000, "exec_id reused"
    args = {e["process_exec"]["process"]["arguments"] for e in got}
    assert len(args) == 1000
    ids = set(ids)
    agent.wait_count(lambda e: e.get("process_exit", {}).get("process", {}).get("exec_id") in ids, 1000,
                     timeout=60, what="burst exits")
    # every exec_id on the node is unique in the whole export so far
    execs = [e for e in agent.read() if "process_exec" in e]
    seen, dup = {}, []
    for e in execs:
        i = e["process_exec"]["process"]["exec_id"]
        if i in seen:
            dup.append((seen[i], e))
        seen[i] = e
    assert not dup, "exec_id reported twice: %s" % json.dumps(dup[:2])
    assert "events lost" not in agent.stderr(), agent.stderr()


def test_parents_are_earlier_execs():
    seen = set()
    for e in agent.read():
        if "process_exec" in e:
            p = e["process_exec"]["process"]
            if "procFS" not in p["flags"] and "parent" in e["process_exec"]:
                parent = e["process_exec"]["parent"]
                # the parent is an exec we exported earlier, or a fork of one
                assert parent["exec_id"] in seen or "clone" in parent.get("flags", ""), (p, parent)
            seen.add(p["exec_id"])


def test_procfs_processes():
    pre = subprocess.Popen(["/bin/sleep", "1002"], cwd="/")
    a2 = Agent()
    try:
        ev = a2.wait_for(execs(pid=pre.pid), what="procFS exec of pre-existing sleep")
        p = ev["process_exec"]["process"]
        assert p["binary"] == "/usr/bin/sleep", p["binary"]
        assert p["arguments"] == "1002"
        assert p["flags"] == "procFS rootcwd inInitTree", p["flags"]
        assert p["cwd"] == "/"
        me = a2.wait_for(execs(pid=os.getpid()), what="procFS exec of the test runner")["process_exec"]["process"]
        assert p["parent_exec_id"] == me["exec_id"]
        assert ev["process_exec"]["parent"]["exec_id"] == me["exec_id"]
        pre.kill()
        pre.wait()
        ex = a2.wait_for(exit_of(p["exec_id"]), what="exit of pre-existing sleep")["process_exit"]
        assert ex["signal"] == "SIGKILL"
        assert ex["parent"]["exec_id"] == me["exec_id"]
    finally:
        pre.kill()
        rc = a2.stop()
    assert rc == 0, a2.stderr()


def test_start_during_exec_storm_reports_each_exec_once():
    """Processes that exec while the agent scans /proc are seen twice, by the
    scan and by the kernel: each exec is exported once, and counted."""
    storms = [subprocess.Popen([os.path.join(HELPERS, "exec_storm"), "100000"], stdout=subprocess.DEVNULL)
              for _ in range(4)]
    spids = {s.pid for s in storms}
    a5 = None
    try:
        a5 = Agent()
        # the storm's children seen live after the scan: the window is over
        a5.wait_count(lambda e: e.get("process_exec", {}).get("parent", {}).get("pid") in spids
                      and "procFS" not in e["process_exec"]["process"]["flags"], 200, what="200 storm execs")
    finally:
        for s in storms:
            s.kill()
            s.wait()
        rc = a5.stop() if a5 else 0
    assert rc == 0, a5.stderr()
    execs = [e["process_exec"]["process"] for e in a5.read() if "process_exec" in e]
    dup = {i for i, n in collections.Counter(p["exec_id"] for p in execs).items() if n > 1}
    assert not dup, "exec_ids exported twice: %s" % [
        (p["pid"], p["binary"], p["flags"], p["start_time"]) for p in execs if p["exec_id"] in dup][:6]
    assert re.search(r"stats: .* exec_dups=\d+", a5.stderr()), a5.stderr()[-2000:]


def test_compact_output_and_clean_shutdown():
    a3 = Agent("--stdout", "compact", "--color", "never", stdout=True)
    try:
        subprocess.run(["/bin/true", "compact marker", "x"])
        a3.wait_for(exec_with_args("/bin/true", '"compact marker" x'))
        p = a3.wait_for(exec_with_args("/bin/true", '"compact marker" x'))["process_exec"]["process"]
        a3.wait_for(exit_of(p["exec_id"]))
    finally:
        rc = a3.stop()
    assert rc == 0, a3.stderr()
    out = a3.stdout().splitlines()
    want_exec = '🚀 process %s /bin/true "\\"compact marker\\" x"' % NODE
    want_exit = '💥 exit    %s /bin/true "\\"compact marker\\" x" 0' % NODE
    assert any(l.startswith(want_exec) for l in out), (want_exec, out[-20:])
    assert any(l.startswith(want_exit) for l in out), (want_exit, out[-20:])
    assert "stats: " in a3.stderr() and " lost=0 " in a3.stderr(), a3.stderr()


def test_ring_buffer_losses_are_counted():
    a4 = Agent("--rb-size", "4096")
    try:
        # an exec message larger than the whole ring cannot be reserved
        subprocess.run(["/bin/true", "tg-rb-big", "y" * 10000])
        procs = [subprocess.Popen(["/bin/true", "tg-rb-%d" % i]) for i in range(100)]
        for p in procs:
            p.wait()
        deadline = time.time() + 15
        while "events lost" not in a4.stderr() and time.time() < deadline:
            time.sleep(0.1)
        assert "events lost" in a4.stderr(), a4.stderr()
    finally:
        rc = a4.stop()
    assert rc == 0, a4.stderr()
    m = re.search(r"stats: .* lost=(\d+) ", a4.stderr())
    assert m and int(m.group(1)) > 0, a4.stderr()


def test_export_rotation():
    import glob, gzip, json
    a5 = Agent("--export-file-max-size-mb", "1", "--export-file-max-backups", "2",
               "--export-file-compress")
    # the harness asks for a large size: the later flag wins
    try:
        tag = "tg-rot-%d" % time.time_ns()
        procs = []
        for i in range(1500):
            procs.append(subprocess.Popen(["/bin/true", tag, "x" * 200]))
            if i % 100 == 0:
                procs[-1].wait()
        # every exit has happened: SIGTERM drains the ring buffer into the file
        for p in procs:
            p.wait()
    finally:
        rc = a5.stop()
    assert rc == 0, a5.stderr()
    backups = sorted(glob.glob(os.path.join(a5.dir, "events-*.log.gz")))
    assert 1 <= len(backups) <= 2, os.listdir(a5.dir)
    lines = 0
    for b in backups:
        with gzip.open(b, "rt") as f:
            for line in f:
                json.loads(line)
                lines += 1
    with open(a5.export) as f:
        for line in f:
            json.loads(line)
    assert lines > 0
    assert os.stat(a5.export).st_mode & 0o777 == 0o600


def run_agent_expect_error(args, want, as_nobody=False):
    # no socket, port or info file of the host's, should it start after all
    cmd = ([shutil.which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups"] if as_nobody else []) + \
        [AGENT, "--server-address", "", "--server-socket", "", "--info-file", ""] + args
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    err = r.stderr.decode(errors="replace")
    assert r.returncode != 0, err
    assert want in err, (want, err)
    assert "Sanitizer" not in err, err


def test_clear_errors():
    if shutil.which("setpriv"):
        run_agent_expect_error([], "tetragon must run as root", as_nobody=True)
    run_agent_expect_error(["--btf", "/nonexistent/vmlinux"], "kernel BTF not found at /nonexistent/vmlinux")
    run_agent_expect_error(["--export-file-max-size-mb", "ten"], 'invalid number "ten"')
    run_agent_expect_error(["--bogus"], "unknown flag --bogus")
    run_agent_expect_error(["--stdout", "xml"], 'invalid value "xml"')


def main():
    global agent, HOST_NS, ME
    if os.geteuid() != 0:
        print("integration: 0 passed, 0 failed, 1 skipped (needs root)")
        return 0
    HOST_NS.update(host_ns())
    agent = Agent("--enable-process-cred", "--enable-process-ns")
    ME = agent.wait_for(execs(pid=os.getpid()), what="procFS exec of the test runner")["process_exec"]["process"]
    tests = [
        test_true_with_quoted_arguments,
        test_relative_exec_and_root_cwd,
        test_shell_pipeline_linkage,
        test_exit_codes_and_signals,
        test_setuid_binary,
        test_memfd_fexecve,
        test_deleted_file_exec,
        test_unshare_namespaces,
        test_long_arguments_truncated,
        test_burst_of_1000_no_loss,
        test_parents_are_earlier_execs,
        test_procfs_processes,
        test_start_during_exec_storm_reports_each_exec_once,
        test_compact_output_and_clean_shutdown,
        test_ring_buffer_losses_are_counted,
        test_export_rotation,
        test_clear_errors,
    ]
    try:
        rc = run_tests(tests)
    finally:
        code = agent.stop()
    if code != 0:
        print("FAIL agent exit code %d\n%s" % (code, agent.stderr()))
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
