#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Upstream's operations flags (issue 10), each with its exact behaviour:
--log-format/--log-file, --health-server-address/--health-server-interval
(the grpc.health.v1 service, asked with the stock Node gRPC client when it is
installed, tests/interop), --export-rate-limit, --redaction-filters and the
process cache flags. Every agent gets private ports (no fixed :6789)."""

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (AGENT, BUILD, ROOT, Agent, Skip, execs, require_root, run_tests, free_port,  # noqa: E402
                     metric_key, scrape_metrics)

TMP = tempfile.mkdtemp(prefix="tg-ops-")
INTEROP = os.path.join(ROOT, "tests", "interop")


def run_agent(*args):
    """An agent expected to stop at once (a refused flag)."""
    env = dict(os.environ, TETRAGON_READ_SYSTEM_CONFIG="false")
    return subprocess.run([AGENT, "--server-address", "", "--server-socket", "", "--info-file", "",
                           "--health-server-address", ""] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)


def stopped(a):
    """Stop an agent: a clean exit, no sanitizer report."""
    rc = a.stop()
    assert rc == 0 and "Sanitizer" not in a.stderr() and "runtime error" not in a.stderr(), (rc, a.stderr())


def marker(name):
    """A private copy of /bin/true, so its events are told apart."""
    d = os.path.join(TMP, "bin")
    os.makedirs(d, exist_ok=True)
    os.chmod(TMP, 0o755)
    p = os.path.join(d, name)
    shutil.copy("/bin/true", p)
    return p


# ---- --log-format, --log-file -------------------------------------------------------------

def json_records(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_log_format_json_ts_and_log_file():
    require_root()
    log = os.path.join(TMP, "agent-ts.log")
    a = Agent("--log-format", "json-ts", "--log-file", log)
    try:
        m = marker("logts")
        subprocess.check_call([m])
        a.wait_for(execs(m))
    finally:
        stopped(a)
    recs = json_records(a.stderr())
    assert recs, a.stderr()
    for r in recs:
        # upstream's slog JSON keys, in its order; the time as RFC 3339 in UTC
        assert list(r)[:3] == ["time", "level", "msg"], r
        assert set(r) <= {"time", "level", "msg", "truncated"}, r
        assert len(r["time"]) == 20 and r["time"].endswith("Z") and r["time"][10] == "T", r
        assert r["level"] in ("debug", "info", "warn", "error"), r
    assert any(r["msg"].startswith("tetragon running on node tg-test-node") for r in recs), recs
    # the file holds the same records as stderr (from when it was opened), mode 0600
    st = os.stat(log)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0, oct(st.st_mode)
    flines = open(log).read().splitlines()
    elines = a.stderr().splitlines()
    assert flines and flines == elines[len(elines) - len(flines):], (flines, elines)
    assert any('"msg":"tetragon running' in line for line in flines)


def test_log_format_json_without_time_and_text():
    require_root()
    a = Agent("--log-format", "json")
    stopped(a)
    recs = json_records(a.stderr())
    assert recs and all(list(r)[:2] == ["level", "msg"] and "time" not in r for r in recs), recs
    # text-ts is text: logfmt with a time
    a = Agent("--log-format", "text-ts")
    stopped(a)
    lines = a.stderr().splitlines()
    assert lines and all(line.startswith("time=") and " level=" in line and ' msg="' in line for line in lines), lines


def test_log_json_escapes_untrusted_text():
    require_root()
    # a policy file name with a quote, a backslash and an escape byte: logged as refused
    d = os.path.join(TMP, "pol")
    os.makedirs(d, exist_ok=True)
    bad = os.path.join(d, 'x"y\\z\x1b[31m.yaml')
    with open(bad, "w") as f:
        f.write("not: [a policy\n")
    a = Agent("--log-format", "json", "--tracing-policy", bad)
    stopped(a)
    raw = a.stderr()
    assert "\x1b" not in raw, raw
    recs = json_records(raw)
    # msg's value is the text format's escaped text: \" \\ \x1b
    hit = [r["msg"] for r in recs if 'x\\"y\\\\z\\x1b[31m.yaml' in r["msg"]]
    assert hit, [r["msg"] for r in recs]


def test_log_flags_refused_values():
    require_root()
    r = run_agent("--log-format", "xml")
    err = r.stderr.decode()
    assert r.returncode != 0 and 'invalid format "xml" (want text, text-ts, json or json-ts)' in err, err
    # from any source, named
    env = dict(os.environ, TETRAGON_READ_SYSTEM_CONFIG="false", TETRAGON_LOG_FORMAT="xml")
    r = subprocess.run([AGENT, "--server-address", "", "--server-socket", "", "--health-server-address", ""],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, env=env, stdin=subprocess.DEVNULL)
    err = r.stderr.decode()
    assert r.returncode != 0 and 'invalid format "xml"' in err and "(--log-format=xml set by environment variable TETRAGON_LOG_FORMAT)" in err, err
    # a log file in a directory others can write: refused, naming it
    d = os.path.join(TMP, "shared")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)
    r = run_agent("--log-file", os.path.join(d, "agent.log"))
    err = r.stderr.decode()
    assert r.returncode != 0 and "--log-file: " in err and d in err, err
    assert not os.path.exists(os.path.join(d, "agent.log"))
    # a symlink as the log file: not followed
    os.chmod(d, 0o755)
    target = os.path.join(TMP, "victim")
    open(target, "w").close()
    link = os.path.join(d, "link.log")
    os.symlink(target, link)
    r = run_agent("--log-file", link)
    err = r.stderr.decode()
    assert r.returncode != 0 and "--log-file: " in err and "symbolic link" in err, err
    assert os.path.getsize(target) == 0


# ---- --health-server-address, --health-server-interval --------------------------------------

def node_health(*args, user=None):
    have = lambda: os.path.isdir(os.path.join(INTEROP, "node_modules", "@grpc", "grpc-js"))  # noqa: E731
    if not have() and shutil.which("node") and shutil.which("npm"):
        # as tests/suites/grpc_interop.sh does
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=INTEROP, timeout=600,
                       stdin=subprocess.DEVNULL)
    if not shutil.which("node") or not have():
        raise Skip("the Node gRPC client is not installed (cd tests/interop && npm ci)")
    cmd = ["node", os.path.join(INTEROP, "health.js")] + list(args)
    if user:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr.decode()
    return [json.loads(line) for line in r.stdout.decode().splitlines()]


def test_health_server():
    require_root()
    port = free_port()
    addr = "127.0.0.1:%d" % port
    a = Agent("--health-server-address", addr, "--health-server-interval", "1")
    try:
        assert "serving grpc.health.v1.Health on %s (checked every 1 s)" % addr in a.stderr(), a.stderr()
        assert node_health(addr, "check", "") == [{"status": "SERVING"}]
        assert node_health(addr, "check", "liveness") == [{"status": "SERVING"}]
        # anyone who can reach the port may ask: nobody too
        assert node_health(addr, "check", "liveness", user=65534) == [{"status": "SERVING"}]
        assert node_health(addr, "check", "tetragon") == [{"code": 5, "details": "unknown service"}]
        # the health port serves nothing else
        assert node_health(addr, "other") == [
            {"code": 12, "details": "unknown service tetragon.FineGuidanceSensors"}]
        assert node_health(addr, "watch", "liveness", "1") == [{"status": "SERVING"}]
        assert node_health(addr, "watch", "other", "1") == [{"status": "SERVICE_UNKNOWN"}]
        # several evaluations later the loop still runs: still SERVING
        time.sleep(2.5)
        assert node_health(addr, "check", "liveness") == [{"status": "SERVING"}]
    finally:
        stopped(a)
    assert "NOT_SERVING" not in a.stderr(), a.stderr()
    # the port is closed with the agent
    s = socket.socket()
    try:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        s.close()


def test_health_server_flags_refused():
    require_root()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    addr = "127.0.0.1:%d" % s.getsockname()[1]
    try:
        # a port given and taken stops the agent, naming it
        r = run_agent("--health-server-address", addr)
        err = r.stderr.decode()
        assert r.returncode != 0 and "--health-server-address: cannot listen on %s: Address already in use" % addr \
            in err, err
    finally:
        s.close()
    for v in ("0", "3601", "ten"):
        r = run_agent("--health-server-interval", v)
        err = r.stderr.decode()
        assert r.returncode != 0 and "--health-server-interval" in err, err
    # "" turns it off: no health line
    a = Agent("--health-server-address", "")
    stopped(a)
    assert "grpc.health" not in a.stderr(), a.stderr()


# ---- --export-rate-limit --------------------------------------------------------------------

def metric(port, name):
    v = scrape_metrics(port).get(metric_key(name))
    assert v is not None, "no %s in the metrics page" % name
    return v


def test_export_rate_limit():
    require_root()
    m = marker("ratelimited")
    mport = free_port()
    # only the marker's events reach the limiter: the filters come first
    allow = json.dumps({"binary_regex": ["^" + m + "$"]})
    a = Agent("--export-rate-limit", "3", "--export-allowlist", allow, "--metrics-server", "127.0.0.1:%d" % mport)
    try:
        start = time.time()
        for _ in range(20):
            subprocess.check_call([m])
        # 3 a minute, a full bucket at start: 3 events pass, the 37 others are dropped
        # (one more token only after 20 s)
        assert time.time() - start < 15
        deadline = time.time() + 30
        while metric(mport, "tetragon_export_ratelimit_events_dropped_total") < 37 and time.time() < deadline:
            time.sleep(0.2)
        assert metric(mport, "tetragon_export_ratelimit_events_dropped_total") == 37
        info = a.wait_for(lambda ev: "rate_limit_info" in ev, timeout=75, what="rate_limit_info")
        assert info["rate_limit_info"] == {"number_of_dropped_process_events": "37"}, info
        assert info["node_name"] == "tg-test-node" and info["time"].endswith("Z"), info
        passed = [ev for ev in a.read() if "rate_limit_info" not in ev]
        assert len(passed) == 3, passed
        assert all(ev.get("process_exec", ev.get("process_exit", {})).get("process", {}).get("binary") == m
                   for ev in passed), passed
        # the page is rendered each second
        deadline = time.time() + 5
        while metric(mport, "tetragon_events_exported_total") < 4 and time.time() < deadline:
            time.sleep(0.2)
        assert metric(mport, "tetragon_events_exported_total") == 4
    finally:
        stopped(a)


def test_export_rate_limit_values():
    require_root()
    for v in ("ten", "1.5", ""):
        r = run_agent("--export-rate-limit", v)
        err = r.stderr.decode()
        assert r.returncode != 0 and "--export-rate-limit: invalid value" in err, err
    # without an export file: nothing to limit, said once
    a = Agent("--export-rate-limit", "5", "--export-filename", "")
    stopped(a)
    assert "--export-rate-limit applies to the export file, and there is none" in a.stderr(), a.stderr()
    # 0 and -1: no limit (upstream limits only above 0)
    for v in ("0", "-1"):
        a = Agent("--export-rate-limit", v)
        stopped(a)
        assert "export-rate-limit" not in a.stderr(), a.stderr()


# ---- --redaction-filters --------------------------------------------------------------------

def test_redaction_filters():
    require_root()
    db = marker("mysql")
    other = marker("notmysql")
    # before the agent: its arguments come from the /proc scan, redacted the same way
    early = subprocess.Popen(["/usr/bin/python3", "-c", "import sys; sys.stdin.read()", "--password", "early5ecret"],
                             stdin=subprocess.PIPE)
    filters = "\n".join([
        json.dumps({"redact": [r"(?:--password|-p)(?:\s+|=)(\S+)"]}),
        json.dumps({"binary_regex": [r"(?:^|/)mysql$"], "redact": [r"--user=(\w+)", r"(tok)en(\d+)"]}),
    ])
    a = Agent("--redaction-filters", filters, "--enable-process-environment-variables")
    try:
        assert "redacting process arguments with 2 filter(s) (--redaction-filters)" in a.stderr(), a.stderr()
        subprocess.check_call([db, "--password", "hunter2", "--user=root", "token42", "-v"],
                              env={"DB_ARGS": "--password=envs3cret -q", "PLAIN": "x"})
        subprocess.check_call([other, "-p=s3cret", "--user=root", "token42"])
        ev = a.wait_for(execs(db))
        p = ev["process_exec"]["process"]
        assert p["arguments"] == "--password ***** --user=***** *****en***** -v", p
        # environment variables too, each "K=V" string, as upstream
        envs = {e["Key"]: e.get("Value", "") for e in p.get("environment_variables", [])}
        assert envs == {"DB_ARGS": "--password=***** -q", "PLAIN": "x"}, p
        ex = a.wait_for(lambda e: e.get("process_exit", {}).get("process", {}).get("exec_id") == p["exec_id"])
        assert ex["process_exit"]["process"]["arguments"] == p["arguments"], ex
        # binary_regex limits the second filter to mysql
        ev = a.wait_for(execs(other))
        assert ev["process_exec"]["process"]["arguments"] == "-p=***** --user=root token42", ev
        early.stdin.close()
        early.wait()
        ex = a.wait_for(lambda e: e.get("process_exit", {}).get("process", {}).get("pid") == early.pid,
                        what="the early process' exit")
        assert ex["process_exit"]["process"]["arguments"] == "-c \"import sys; sys.stdin.read()\" --password *****", ex
    finally:
        stopped(a)
    # counted: the two markers and the early process, at least (other processes may match too)
    m = re.search(r"redaction: the arguments of (\d+) process\(es\) were redacted", a.stderr())
    assert m and int(m.group(1)) >= 3, a.stderr()
    raw = open(a.export, "rb").read()
    assert b"hunter2" not in raw and b"s3cret" not in raw and b"early5ecret" not in raw and b"envs3cret" not in raw


def test_redaction_filters_refused():
    require_root()
    r = run_agent("--redaction-filters", '{"redact":["("]}')
    err = r.stderr.decode()
    assert r.returncode != 0 and 'msg="--redaction-filters: filter 1: redact[0]: regexp \\"(\\": missing ): ("' in err, err
    r = run_agent("--redaction-filters", '{"redact":["a"]}\n{"redcat":["b"]}')
    err = r.stderr.decode()
    assert r.returncode != 0 and "--redaction-filters: line 2: " in err and "redcat" in err, err


# ---- matchBinaries and symlinks (docs/tracingpolicy.md) -------------------------------------

MB_POLICY = """apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "%s"
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
        operator: "Prefix"
        values: ["%s/"]
      matchBinaries:
      - operator: "In"
        values: ["%s"]
"""


def test_match_binaries_resolves_symlinks():
    """As upstream on kernels >= 5.3: matchBinaries compares the executable's
    resolved path (mm->exe_file), so a program run through a symlink matches
    its target's path and not the link's; process.binary stays the name it
    was exec'd with."""
    require_root()
    target = marker("realcat")
    shutil.copy("/usr/bin/cat", target)
    links = os.path.join(TMP, "links")
    os.makedirs(links, exist_ok=True)
    link = os.path.join(links, "mycat")
    os.symlink(target, link)
    files = os.path.join(TMP, "mb")
    os.makedirs(files, exist_ok=True)
    f = os.path.join(files, "f")
    with open(f, "w") as fh:
        fh.write("x\n")
    pols = []
    for name, binary in (("mb-target", target), ("mb-link", link)):
        pols += ["--tracing-policy", os.path.join(TMP, name + ".yaml")]
        with open(pols[-1], "w") as fh:
            fh.write(MB_POLICY % (name, files, binary))
    a = Agent(*pols)
    try:
        subprocess.check_call([link, f], stdout=subprocess.DEVNULL)
        subprocess.check_call([target, f], stdout=subprocess.DEVNULL)

        def hits(policy):
            return [(e["process_kprobe"]["process"]["binary"], e["process_kprobe"]["args"][0]["string_arg"])
                    for e in a.read() if e.get("process_kprobe", {}).get("policy_name") == policy]
        deadline = time.time() + 15
        while len(hits("mb-target")) < 2 and time.time() < deadline:
            time.sleep(0.1)
        # both runs are the target file; the one through the link is named as exec'd
        assert hits("mb-target") == [(link, f), (target, f)], hits("mb-target")
        # policy records are in order: the link run's would have come before the target's
        assert hits("mb-link") == [], hits("mb-link")
    finally:
        stopped(a)


# ---- GetInfo lists them --------------------------------------------------------------------

def test_tetra_info_lists_ops_flags():
    require_root()
    red = '{"redact":["-p (\\\\S+)"]}'
    a = Agent("--log-format", "json", "--export-rate-limit", "7", "--health-server-interval", "3",
              "--redaction-filters", red)
    try:
        r = subprocess.run([os.path.join(ROOT, BUILD, "bin", "tetra"), "info", "--server-address",
                            "unix://" + os.path.join(a.dir, "tetragon.sock")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr.decode()
        conf = json.loads(r.stdout)["Conf"]
        got = {k: conf[k] for k in ("health-server-address", "health-server-interval", "log-format", "log-file",
                                    "export-rate-limit", "redaction-filters")}
        assert got == {"health-server-address": "", "health-server-interval": 3, "log-format": "json",
                       "log-file": "", "export-rate-limit": 7, "redaction-filters": red}, got
    finally:
        stopped(a)


# ---- process cache flags --------------------------------------------------------------------

def test_process_cache_flags():
    require_root()
    r = run_agent("--process-cache-gc-interval", "0s")
    err = r.stderr.decode()
    assert r.returncode != 0 and '--process-cache-gc-interval: invalid duration "0s" (more than 0' in err, err
    r = run_agent("--process-cache-size", "10")
    err = r.stderr.decode()
    assert r.returncode != 0 and "--process-cache-size: at least 64" in err, err
    for flag, v in (("--event-cache-retries", "0"), ("--event-cache-retry-delay", "0")):
        r = run_agent(flag, v)
        err = r.stderr.decode()
        assert r.returncode != 0 and "%s: 0 is out of range" % flag in err, err


TESTS = [
    test_log_format_json_ts_and_log_file,
    test_log_format_json_without_time_and_text,
    test_log_json_escapes_untrusted_text,
    test_log_flags_refused_values,
    test_health_server,
    test_health_server_flags_refused,
    test_export_rate_limit_values,
    test_process_cache_flags,
    test_redaction_filters,
    test_redaction_filters_refused,
    test_match_binaries_resolves_symlinks,
    test_tetra_info_lists_ops_flags,
    test_export_rate_limit,
]

if __name__ == "__main__":
    try:
        rc = run_tests(TESTS)
    finally:
        shutil.rmtree(TMP, True)
    sys.exit(rc)
