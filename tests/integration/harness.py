# SPDX-License-Identifier: Apache-2.0
"""Integration test harness: runs the real agent on the real kernel and
reads the JSON events it exports. Stdlib only (runs on a fresh Debian)."""

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", "build")
AGENT = os.path.join(ROOT, BUILD, "bin", "tetragon")
HELPERS = os.path.join(ROOT, BUILD, "tests", "helpers")
NODE = "tg-test-node"


class Skip(Exception):
    pass


class Agent:
    """One agent process exporting JSON to a temporary file."""

    def __init__(self, *extra, stdout=None, system_config=False):
        self.dir = tempfile.mkdtemp(prefix="tg-it-")
        if not os.environ.get("TG_KEEP_TEST_DIRS"):
            atexit.register(shutil.rmtree, self.dir, True)
        self.export = os.path.join(self.dir, "events.log")
        self.errlog = os.path.join(self.dir, "agent.err")
        self.outlog = os.path.join(self.dir, "agent.out")
        # large enough never to rotate under the reader
        args = [AGENT, "--node-name", NODE, "--export-filename", self.export,
                "--export-file-max-size-mb", "4096",
                # a private socket and no info file: agents of other tests (or
                # the host's) keep theirs
                "--server-address", "unix://" + os.path.join(self.dir, "tetragon.sock"),
                "--info-file", "",
                # no health port: upstream's default :6789 is one per host
                "--health-server-address", ""]
        args += list(extra)
        if stdout is None:
            args += ["--stdout", "none"]
        self.err = open(self.errlog, "wb")
        self.out = open(self.outlog, "wb")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        if system_config:
            env.pop("TETRAGON_READ_SYSTEM_CONFIG", None)
        else:
            env["TETRAGON_READ_SYSTEM_CONFIG"] = "false"	# not the host's /etc/tetragon
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.err, env=env)
        self.offset = 0
        self.events = []
        # a deadline, not a pause: an agent loading many programs on a busy
        # machine can take a minute
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("agent exited early (%d): %s" % (self.proc.returncode, self.stderr()))
            if b"tetragon running" in open(self.errlog, "rb").read():
                return
            time.sleep(0.05)
        raise AssertionError("agent did not start: " + self.stderr())

    def stderr(self):
        return open(self.errlog, "rb").read().decode(errors="replace")

    def stdout(self):
        return open(self.outlog, "rb").read().decode(errors="replace")

    def read(self):
        if not os.path.exists(self.export):
            return self.events
        with open(self.export, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            self.events.append(json.loads(line))
        self.offset += end
        return self.events

    def wait_for(self, pred, timeout=15, what="event"):
        """First event satisfying pred, waiting for it to be exported."""
        deadline = time.time() + timeout
        while True:
            for ev in self.read():
                if pred(ev):
                    return ev
            if time.time() > deadline:
                raise AssertionError("timed out waiting for %s" % what)
            time.sleep(0.05)

    def wait_count(self, pred, n, timeout=30, what="events"):
        deadline = time.time() + timeout
        while True:
            got = [e for e in self.read() if pred(e)]
            if len(got) >= n:
                return got
            if time.time() > deadline:
                raise AssertionError("timed out waiting for %d %s, got %d" % (n, what, len(got)))
            time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("agent did not stop on SIGTERM")
        self.err.close()
        self.out.close()
        self.read()
        return self.proc.returncode


def execs(binary=None, pid=None):
    def pred(ev):
        p = ev.get("process_exec", {}).get("process")
        return p is not None and (binary is None or p.get("binary") == binary) and (
            pid is None or p.get("pid") == pid)
    return pred


def exit_of(exec_id):
    return lambda ev: ev.get("process_exit", {}).get("process", {}).get("exec_id") == exec_id


def exec_with_args(binary, arguments):
    def pred(ev):
        p = ev.get("process_exec", {}).get("process")
        return p is not None and p.get("binary") == binary and p.get("arguments") == arguments
    return pred


def run_tests(tests):
    passed = failed = skipped = 0
    for t in tests:
        name = t.__name__
        start = time.time()
        try:
            t()
        except Skip as e:
            skipped += 1
            print("SKIP %s: %s" % (name, e), flush=True)
            continue
        except Exception:
            failed += 1
            print("FAIL %s (%.1fs)" % (name, time.time() - start), flush=True)
            traceback.print_exc()
            continue
        passed += 1
        print("ok   %s (%.1fs)" % (name, time.time() - start), flush=True)
    print("integration: %d passed, %d failed, %d skipped" % (passed, failed, skipped), flush=True)
    return 1 if failed else 0


def require_root():
    if os.geteuid() != 0:
        raise Skip("needs root")


def free_port(host="127.0.0.1"):
    """A TCP port of host free now (for an agent's metrics or gRPC address)."""
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def scrape_metrics(port):
    """The agent's metrics page as {(name, sorted label pairs): value}."""
    page = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    out = {}
    for line in page.splitlines():
        m = re.match(r"^(\w+)(\{[^}]*\})? (\S+)$", line)
        if m:
            labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def metric_key(name, **labels):
    """scrape_metrics()'s key of the sample name{labels}."""
    return (name, tuple(sorted(labels.items())))


def find_metric(metrics, name, **labels):
    """The first sample of name (page order) among scrape_metrics() whose labels include labels, or None."""
    want = set(labels.items())
    for (n, ls), v in metrics.items():
        if n == name and want <= set(ls):
            return v
    return None


def wait_metric(port, name, labels, want, timeout=20):
    """Until the sample name{labels} is want (the page is rendered every second)."""
    key = metric_key(name, **labels)
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = scrape_metrics(port).get(key)
        if got == want:
            return
        time.sleep(0.05)
    raise AssertionError("%s%s: want %s, got %s" % (name, labels, want, got))
