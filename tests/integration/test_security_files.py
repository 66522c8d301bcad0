#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The files the root agent writes or trusts, against a local user.

`nobody` (setpriv) sets the traps in a fresh sticky world-writable
directory, like /tmp: the agent refuses each with a message naming the file,
its owner and what to do, and the target stays unchanged. The files the
agent makes are 0600 and root's. A closed stdout (`| head -2`) costs the
stdout output only: the agent keeps exporting, stops cleanly on SIGTERM."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import AGENT, NODE, Agent, run_tests

SETPRIV = shutil.which("setpriv")
NOBODY = 65534
EPIPE_LINE = "stdout is closed (EPIPE): no more events on standard output; other exports continue"


def private_dir():
    d = tempfile.mkdtemp(prefix="tg-sec-")  # root's, 0700
    if not os.environ.get("TG_KEEP_TEST_DIRS"):
        import atexit
        atexit.register(shutil.rmtree, d, True)
    return d


def shared_dir():
    """A fresh directory like /tmp: root's, sticky, world-writable."""
    d = private_dir()
    os.chmod(d, 0o1777)
    return d


def as_nobody(*cmd):
    subprocess.run([SETPRIV, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"] + list(cmd),
                   check=True)


def as_nobody_write(path, text):
    subprocess.run([SETPRIV, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                    "sh", "-c", 'cat > "$0"', path], input=text.encode(), check=True)


def snapshot(path):
    st = os.lstat(path)
    data = open(path, "rb").read() if os.path.isfile(path) and not os.path.islink(path) else None
    return (st.st_uid, st.st_gid, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino, data)


def agent_args(d, *extra, export=None):
    return [AGENT, "--node-name", NODE, "--export-filename", export or os.path.join(d, "events.log"),
            "--export-file-max-size-mb", "4096",
            "--server-address", "unix://" + os.path.join(d, "tetragon.sock"), "--info-file", "",
            "--stdout", "none"] + list(extra)


def refused_at_start(export, want):
    """The agent, told to export to @export, exits at once with @want logged."""
    d = private_dir()
    r = subprocess.run(agent_args(d, export=export), capture_output=True, timeout=60)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 1, (r.returncode, err)
    assert want in err, (want, err)
    assert "Sanitizer" not in err, err
    assert not os.path.exists(os.path.join(d, "tetragon.sock")), os.listdir(d)
    return err


def test_export_symlink_to_root_only_file():
    secret_dir = private_dir()
    secret = os.path.join(secret_dir, "root-only")
    with open(secret, "w") as f:
        f.write("root only\n")
    os.chmod(secret, 0o600)
    before = snapshot(secret)
    sh = shared_dir()
    path = os.path.join(sh, "events.log")
    as_nobody("ln", "-s", secret, path)
    refused_at_start(path, "cannot open export file: %s: it is a symbolic link (owner uid 65534 (nobody)): "
                     "refusing to write through a symbolic link; give the real path" % path)
    assert snapshot(secret) == before
    assert os.readlink(path) == secret


def test_export_file_precreated_by_nobody():
    sh = shared_dir()
    path = os.path.join(sh, "events.log")
    as_nobody_write(path, "theirs\n")
    before = snapshot(path)
    refused_at_start(path, "cannot open export file: %s: it is owned by uid 65534 (nobody), mode 0644, not by "
                     "root: another user made it" % path)
    after = snapshot(path)
    assert after == before and after[0] == NOBODY, (before, after)
    assert os.listdir(sh) == ["events.log"], os.listdir(sh)  # no backup, no temp file


def test_export_dir_owned_by_nobody():
    sh = shared_dir()
    exp = os.path.join(sh, "exp")
    as_nobody("mkdir", exp)
    for path in (os.path.join(exp, "events.log"), os.path.join(exp, "sub", "events.log")):
        refused_at_start(path, "cannot open export file: %s: directory %s is owned by uid 65534 (nobody), "
                         "mode 0755, not by root" % (path, exp))
        assert os.listdir(exp) == [], os.listdir(exp)


POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "%s"
spec:
  tracepoints:
  - subsystem: "syscalls"
    event: "sys_enter_mkdir"
    args:
    - index: 5
      type: "string"
"""


def test_policies_others_can_write():
    root_dir = private_dir()
    os.chmod(root_dir, 0o755)
    sh = shared_dir()
    good = os.path.join(root_dir, "good.yaml")
    with open(good, "w") as f:
        f.write(POLICY % "tg-sec-good")
    os.chmod(good, 0o644)
    # written by nobody, in the shared directory
    theirs = os.path.join(sh, "theirs.yaml")
    as_nobody_write(theirs, POLICY % "tg-sec-theirs")
    # root's file, but anyone may write it
    open_file = os.path.join(root_dir, "open.yaml")
    with open(open_file, "w") as f:
        f.write(POLICY % "tg-sec-open")
    os.chmod(open_file, 0o666)
    # nobody's symlink to root's good policy
    link = os.path.join(sh, "link.yaml")
    as_nobody("ln", "-s", good, link)
    # directories: root's but writable by all (no sticky bit); nobody's
    wdir = os.path.join(root_dir, "wdir")
    os.mkdir(wdir)
    os.chmod(wdir, 0o777)
    with open(os.path.join(wdir, "w.yaml"), "w") as f:
        f.write(POLICY % "tg-sec-wdir")
    ndir = os.path.join(sh, "ndir")
    as_nobody("mkdir", ndir)
    as_nobody_write(os.path.join(ndir, "n.yaml"), POLICY % "tg-sec-ndir")
    before = {p: snapshot(p) for p in (good, theirs, open_file, link, wdir, ndir)}

    for d, want in ((wdir, "--tracing-policy-dir refused: %s: directory %s (owner uid 0 (root), mode 0777) is "
                           "writable by group and others and has no sticky bit" % (wdir, wdir)),
                    (ndir, "--tracing-policy-dir refused: %s: directory %s is owned by uid 65534 (nobody), "
                           "mode 0755, not by root" % (ndir, ndir))):
        a = Agent("--tracing-policy", good, "--tracing-policy", theirs, "--tracing-policy", open_file,
                  "--tracing-policy", link, "--tracing-policy-dir", d)
        try:
            err = a.stderr()  # complete up to "tetragon running": policies load before it
        finally:
            rc = a.stop()
        assert rc == 0, a.stderr()
        assert want in err, (want, err)
        for w in ("tracing policy refused: %s: it is owned by uid 65534 (nobody), mode 0644, not by root: "
                  "another user made it, so they would decide what the agent loads" % theirs,
                  "tracing policy refused: %s: it (owner uid 0 (root), mode 0666) is writable by group and "
                  "others, who could change what the agent loads; run 'chmod go-w %s'" % (open_file, open_file),
                  "tracing policy refused: %s: it is a symbolic link owned by uid 65534 (nobody) in the shared "
                  "directory %s: refusing to follow a link another user made" % (link, sh),
                  "tracing policy tg-sec-good (%s) accepted" % good,
                  "tracing policies: 1 accepted, 3 refused"):
            assert w in err, (w, err)
        for name in ("tg-sec-theirs", "tg-sec-open", "tg-sec-wdir", "tg-sec-ndir"):
            assert "tracing policy %s (" % name not in err, (name, err)
    assert {p: snapshot(p) for p in before} == before


def test_export_files_are_private():
    """With umask 0 and an old world-readable file of root's in place, every
    file the agent creates (the live file after a rotation, the backups) is
    0600 and root's."""
    d = private_dir()
    export = os.path.join(d, "out", "events.log")
    os.mkdir(os.path.dirname(export), 0o755)
    with open(export, "w"):
        pass
    os.chmod(export, 0o644)
    os.chown(export, 0, NOBODY)  # another group: not carried over
    errlog = open(os.path.join(d, "agent.err"), "wb")
    proc = subprocess.Popen(agent_args(d, "--export-file-compress", export=export),
                            stdout=subprocess.DEVNULL, stderr=errlog, preexec_fn=lambda: os.umask(0))
    try:
        wait_log(proc, os.path.join(d, "agent.err"), "tetragon running")
        wait_exec(export, "tg-sec-before-%d" % time.time_ns())
        proc.send_signal(signal.SIGHUP)  # rotate (and compress the backup)
        deadline = time.time() + 15
        while not glob.glob(os.path.join(d, "out", "events-*.log.gz")):
            assert time.time() < deadline, os.listdir(os.path.dirname(export))
            time.sleep(0.05)
        wait_exec(export, "tg-sec-after-%d" % time.time_ns())
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
        errlog.close()
    assert rc == 0, open(os.path.join(d, "agent.err")).read()
    files = sorted(os.listdir(os.path.dirname(export)))
    assert len(files) == 2 and re.match(r"^events-[0-9T.-]{23}\.log\.gz$", files[0]) and \
        files[1] == "events.log", files
    for name in files:
        st = os.stat(os.path.join(d, "out", name))
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o600, 0, 0), (name, oct(st.st_mode), st.st_uid,
                                                                               st.st_gid)
    # missing directories made for the export file: 0755 whatever the umask
    d2 = private_dir()
    export2 = os.path.join(d2, "a", "b", "events.log")
    proc = subprocess.Popen(agent_args(d2, export=export2), stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(d2, "agent.err"), "wb"), preexec_fn=lambda: os.umask(0))
    try:
        wait_log(proc, os.path.join(d2, "agent.err"), "tetragon running")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    for p, mode in ((os.path.join(d2, "a"), 0o755), (os.path.join(d2, "a", "b"), 0o755), (export2, 0o600)):
        st = os.stat(p)
        assert (st.st_mode & 0o7777, st.st_uid) == (mode, 0), (p, oct(st.st_mode), st.st_uid)


def wait_log(proc, errpath, text, timeout=30):
    deadline = time.time() + timeout
    while True:
        err = open(errpath, errors="replace").read()
        if text in err:
            return err
        if proc.poll() is not None:
            raise AssertionError("agent exited (%d) before %r: %s" % (proc.returncode, text, err))
        if time.time() > deadline:
            raise AssertionError("timed out waiting for %r: %s" % (text, err))
        time.sleep(0.05)


def wait_exec(export, marker, timeout=15):
    """Runs /bin/true MARKER and waits for its exec event in the JSON file."""
    subprocess.run(["/bin/true", marker], check=True)
    deadline = time.time() + timeout
    while True:
        with open(export, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break
                p = json.loads(line).get("process_exec", {}).get("process", {})
                if p.get("binary") == "/bin/true" and p.get("arguments") == marker:
                    return p
        if time.time() > deadline:
            raise AssertionError("timed out waiting for the exec of /bin/true %s" % marker)
        time.sleep(0.05)


def test_sigpipe_closed_stdout():
    d = private_dir()
    export = os.path.join(d, "events.json")
    sock = os.path.join(d, "tetragon.sock")
    info = os.path.join(d, "info.json")
    errpath = os.path.join(d, "agent.err")
    args = [AGENT, "--node-name", NODE, "--export-filename", export, "--export-file-max-size-mb", "4096",
            "--server-address", "unix://" + sock, "--info-file", info, "--stdout", "compact", "--color", "never"]
    head_out = open(os.path.join(d, "head.out"), "wb")
    head = subprocess.Popen(["head", "-2"], stdin=subprocess.PIPE, stdout=head_out)
    errlog = open(errpath, "wb")
    proc = subprocess.Popen(args, stdout=head.stdin, stderr=errlog)
    head.stdin.close()
    try:
        wait_log(proc, errpath, "tetragon running")
        # head exits after its 2 lines (the procfs scan's execs, else ours)
        deadline = time.time() + 30
        while head.poll() is None:
            assert time.time() < deadline, "head -2 did not exit"
            subprocess.run(["/bin/true", "tg-sec-fill"])
            time.sleep(0.05)
        # the sentinel: an event after stdout closed, in the JSON export
        wait_exec(export, "tg-sec-after-head-%d" % time.time_ns())
        wait_log(proc, errpath, EPIPE_LINE)
        wait_exec(export, "tg-sec-still-%d" % time.time_ns())
        assert proc.poll() is None, "agent died"
        assert os.path.exists(sock) and os.path.exists(info), os.listdir(d)
        with open(info) as f:
            assert json.load(f) == {"server_address": "unix://" + sock}
        st = os.stat(info)
        assert (st.st_mode & 0o7777, st.st_uid) == (0o644, 0), oct(st.st_mode)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        errlog.close()
        head_out.close()
    err = open(errpath, errors="replace").read()
    assert rc == 0, (rc, err)
    assert err.count(EPIPE_LINE) == 1, err
    assert "Broken pipe" not in err, err
    assert not os.path.exists(sock) and not os.path.exists(info), os.listdir(d)
    assert len(open(os.path.join(d, "head.out"), "rb").read().splitlines()) == 2


def main():
    if os.geteuid() != 0 or not SETPRIV:
        print("SKIP all: needs root and setpriv")
        print("integration: 0 passed, 0 failed, 1 skipped")
        return 0
    return run_tests([test_export_symlink_to_root_only_file, test_export_file_precreated_by_nobody,
                      test_export_dir_owned_by_nobody, test_policies_others_can_write,
                      test_export_files_are_private, test_sigpipe_closed_stdout])


if __name__ == "__main__":
    sys.exit(main())
