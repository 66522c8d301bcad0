#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Untrusted strings against the real agent and tetra: policy fields that try
to forge log lines or reach paths outside tracefs, limits the validator must
apply as the agent does, workload-scoped policies an agent without its
Kubernetes client cannot scope (refused on every path; test_k8s_scope.py
runs them scoped), and server text on tetra's stderr."""

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, BUILD, Agent, Skip, exit_of, require_root, run_tests  # noqa: E402

TETRA = os.path.join(ROOT, BUILD, "bin", "tetra")
TMP = tempfile.mkdtemp(prefix="tg-secin-")
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    atexit.register(shutil.rmtree, TMP, True)
PDIR = os.path.join(TMP, "pdir")
VICTIM = os.path.join(TMP, "victim-cat")	# a copy of cat the scoped Sigkill policies name
TARGET = os.path.join(TMP, "target")
agent = None

HDR = """apiVersion: cilium.io/v1alpha1
kind: %s
metadata:
  name: "%s"
%sspec:
"""

# A call with a newline, a forged record and an escape code: the parser
# refuses it, and the refusal, logged, must stay one line.
FORGE_POLICY = HDR % ("TracingPolicy", "forged-call", "") + """  kprobes:
  - call: "sys_x\\ntime=2024-01-01T00:00:00.000Z level=error msg=\\"FORGED\\"\\n\\e[31m"
    syscall: true
"""

TRAVERSAL_POLICY = HDR % ("TracingPolicy", "%s", "") + """  tracepoints:
  - subsystem: "%s"
    event: "passwd"
"""


# Sigkill for the victim's openat: if any of these ran, it would die.
def kill_spec(extra=""):
    return extra + """  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchBinaries:
      - operator: "In"
        values: ["%s"]
      matchActions:
      - action: Sigkill
""" % VICTIM


def namespaced(name):
    return HDR % ("TracingPolicyNamespaced", name, "  namespace: default\n") + kill_spec()


def pod_selector(name):
    return HDR % ("TracingPolicy", name, "") + kill_spec("  podSelector:\n    matchLabels:\n      app: web\n")


def container_selector(name):
    return HDR % ("TracingPolicy", name, "") + kill_spec("  containerSelector:\n    matchExpressions:\n"
                                                          "    - key: name\n      operator: In\n"
                                                          "      values: [web]\n")


K8S_REASON = ("needs the agent's Kubernetes client (--enable-k8s-api) to know which processes run in which "
              "pods; without it the policy would act on every process, so it is refused")
NS_REASON = "kind: a TracingPolicyNamespaced " + K8S_REASON
POD_REASON = "spec.podSelector: podSelector " + K8S_REASON
CONTAINER_REASON = "spec.containerSelector: containerSelector " + K8S_REASON
PREFIX_LIMIT = ("too many string values in one hook: at most 65536 string, binary path and address values are "
                "supported per hook (they share one BPF map)")

# One log record: time=... level=... msg="escaped" [truncated=true]
RECORD = re.compile(r'^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(debug|info|warn|error) '
                    r'msg="(?:[^"\\]|\\.)*"( truncated=true)?$')


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def big_prefix_policy(n):
    vals = ",".join('"/p%d"' % i for i in range(n))
    return HDR % ("TracingPolicy", "big-prefix", "") + """  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
    selectors:
    - matchArgs:
      - index: 1
        operator: "Prefix"
        values: [%s]
""" % vals


def tetra(*args):
    return subprocess.run([TETRA] + list(args), capture_output=True, timeout=60)


def sock():
    return "unix://" + os.path.join(agent.dir, "tetragon.sock")


def refusal(err, name):
    """The reason the agent logged for refusing policy name (one record)."""
    # a namespaced policy is named NAMESPACE/NAME
    m = re.search(r'msg="tracing policy (?:[^ /"]+/)?%s \(([^)]*)\) refused: (.*)"$' % re.escape(name), err, re.M)
    assert m, (name, err)
    return m.group(1), m.group(2)


def test_log_records_not_forged():
    raw = open(agent.errlog, "rb").read()
    assert b"\x1b" not in raw, raw
    for line in raw.decode().splitlines():
        assert RECORD.match(line), line
    err = agent.stderr()
    # the refusal is there, with the forged text inside its escaped message
    assert re.search(r'forged\.yaml:\d+:\d+: spec\.kprobes\[0\]\.call: must not contain control characters', err), err
    assert 'msg=\\\\\\"FORGED' in err, err
    # a file name the logger escapes by itself (it reaches the log as written)
    assert 'x\\ntime=2020-01-01T00:00:00.000Z level=error msg=\\"FORGED-NAME\\"\\x1b[31m.yaml' in err, err
    assert not [l for l in err.splitlines() if "FORGED" in l and l.startswith("level=")]


def test_traversal_same_error():
    err = agent.stderr()
    got = []
    for sub, name in (("../../../../etc", "trav-etc"), ("../../../../nonexistent", "trav-none")):
        line = [l for l in err.splitlines() if "%s.yaml:" % name in l]
        assert len(line) == 1, (name, err)
        # the same error but for the file and the name it quotes
        got.append(line[0].split("msg=", 1)[1].replace(name, "N").replace(sub, "S"))
        assert "invalid tracefs name" in line[0], line
        r = tetra("tracingpolicy", "validate", os.path.join(TMP, name + ".yaml"))
        assert r.returncode == 1, r
        assert b"invalid tracefs name" in r.stderr, r
    assert got[0] == got[1], got


def run_victim():
    """Run the victim; it must open its file and exit 0 (no policy killed it)."""
    r = subprocess.run([VICTIM, TARGET], capture_output=True, timeout=30)
    assert r.returncode == 0 and r.stdout == b"target\n", r
    ev = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("binary") == VICTIM
                        and e["process_exec"]["process"].get("arguments") == TARGET, what="victim exec")
    x = agent.wait_for(exit_of(ev["process_exec"]["process"]["exec_id"]), what="victim exit")["process_exit"]
    assert x.get("status", 0) == 0 and not x.get("signal"), x


def test_scoped_policies_refused_from_file_and_dir():
    err = agent.stderr()
    for name, reason in (("ns-file", NS_REASON), ("ns-dir", NS_REASON), ("pod-file", POD_REASON),
                         ("pod-dir", POD_REASON), ("container-dir", CONTAINER_REASON)):
        path, why = refusal(err, name)
        assert why.startswith(path + ":"), (path, why)
        assert reason in why, (reason, why)
    # listed as not loaded, with the reason
    r = tetra("tracingpolicy", "list", "--server-address", sock(), "-o", "json")
    assert r.returncode == 0, r
    for name in ("ns-file", "ns-dir", "pod-file", "pod-dir", "container-dir"):
        assert re.search(r'"name":"%s"[^}]*"state":"TP_STATE_LOAD_ERROR"' % name, r.stdout.decode()), r.stdout
    run_victim()


def test_scoped_policies_refused_over_grpc():
    for name, text, reason in (("ns-grpc", namespaced("ns-grpc"), NS_REASON),
                               ("pod-grpc", pod_selector("pod-grpc"), POD_REASON)):
        path = write(os.path.join(TMP, name + ".yaml"), text)
        r = tetra("tracingpolicy", "add", "--server-address", sock(), path)
        err = r.stderr.decode()
        assert r.returncode == 1, r
        assert err.startswith("tetra tracingpolicy add: failed to add tracing policy: tracing policy refused: "
                              "policy:"), err
        assert reason in err and err.rstrip().endswith("(FAILED_PRECONDITION)"), err
        # valid: an agent with its Kubernetes client runs it
        assert tetra("tracingpolicy", "validate", path).returncode == 0
    run_victim()
    # the control: the same hook in a cluster-wide TracingPolicy does kill the victim
    path = write(os.path.join(TMP, "kill-control.yaml"), HDR % ("TracingPolicy", "kill-control", "") + kill_spec())
    r = tetra("tracingpolicy", "add", "--server-address", sock(), path)
    assert r.returncode == 0, r
    try:
        r = subprocess.run([VICTIM, TARGET], capture_output=True, timeout=30)
        assert r.returncode == -9, r
    finally:
        assert tetra("tracingpolicy", "delete", "--server-address", sock(), "kill-control").returncode == 0


def test_validate_applies_agent_limits():
    path = os.path.join(TMP, "big-prefix.yaml")
    r = tetra("tracingpolicy", "validate", path)
    assert r.returncode == 1, r
    line = r.stderr.decode().strip()
    assert line.startswith(path + ":") and PREFIX_LIMIT in line, line
    _, why = refusal(agent.stderr(), "big-prefix")
    # the agent refused it with the validator's words (position and field path included)
    assert why == line.replace('"', '\\"'), (why, line)
    # at the limit it is accepted by both
    ok = write(os.path.join(TMP, "limit-prefix.yaml"), big_prefix_policy(65536).replace("big-prefix", "limit-prefix"))
    r = tetra("tracingpolicy", "validate", ok)
    assert r.returncode == 0, r


def test_tetra_escapes_server_text():
    # the agent answers NOT_FOUND naming the policy the request named, escape code included
    r = tetra("tracingpolicy", "delete", "--server-address", sock(), "x\x1b[31mred\nline")
    err = r.stderr
    assert r.returncode == 1, r
    assert b"\x1b" not in err, err
    # a newline in it starts an indented line: it cannot pass for a line of tetra's own
    assert err.endswith(b"tracing policy x\\x1b[31mred\n  line does not exist (NOT_FOUND)\n"), err
    assert [l for l in err.splitlines() if not l.startswith(b"  ")] == [err.splitlines()[0]], err


def main():
    global agent
    try:
        require_root()
        if not os.access(TETRA, os.X_OK):
            raise Skip("%s not built" % TETRA)
    except Skip as e:
        print("SKIP all: %s" % e)
        print("integration: 0 passed, 0 failed, 1 skipped")
        return 0
    os.makedirs(PDIR)
    shutil.copy("/usr/bin/cat", VICTIM)
    write(TARGET, "target\n")
    args = []
    for name, text in (("forged", FORGE_POLICY),
                       ("trav-etc", TRAVERSAL_POLICY % ("trav-etc", "../../../../etc")),
                       ("trav-none", TRAVERSAL_POLICY % ("trav-none", "../../../../nonexistent")),
                       ("ns-file", namespaced("ns-file")), ("pod-file", pod_selector("pod-file")),
                       ("big-prefix", big_prefix_policy(300000))):
        args += ["--tracing-policy", write(os.path.join(TMP, name + ".yaml"), text)]
    for name, text in (("ns-dir", namespaced("ns-dir")), ("pod-dir", pod_selector("pod-dir")),
                       ("container-dir", container_selector("container-dir"))):
        write(os.path.join(PDIR, name + ".yaml"), text)
    # a file name with a forged record in it
    write(os.path.join(PDIR, 'x\ntime=2020-01-01T00:00:00.000Z level=error msg="FORGED-NAME"\x1b[31m.yaml'),
          "not: a policy\n")
    args += ["--tracing-policy-dir", PDIR]
    agent = Agent(*args)
    try:
        rc = run_tests([test_log_records_not_forged, test_traversal_same_error,
                        test_scoped_policies_refused_from_file_and_dir, test_scoped_policies_refused_over_grpc,
                        test_validate_applies_agent_limits, test_tetra_escapes_server_text])
    finally:
        code = agent.stop()
    raw = open(agent.errlog, "rb").read()
    if code != 0 or b"\x1b" in raw or b"Sanitizer" in raw:
        print("FAIL agent exit code %d\n%s" % (code, agent.stderr()[-3000:]))
        print("integration: 0 passed, 1 failed, 0 skipped")
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
