#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Workload scope in the kernel: TracingPolicyNamespaced, podSelector and
containerSelector against the pods a stand-in API server (kube_apiserver.py)
serves. The pods' containers are cgroups named as kubelet's cgroupfs driver
names them (kubepods/besteffort/pod<uid>/<container id>) in the real cgroup2
hierarchy, or, in test_cri_containers, real containers run through
containerd's CRI API. A Sigkill policy kills only the selected pod's
process; the other pod's and the host's make the same call unharmed, and
their calls are counted as filtered (out of scope). A pod created after the
policy is covered from its first process, before any event of it."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (HELPERS, ROOT, BUILD, Agent, Skip, require_root, run_tests, free_port,  # noqa: E402
                     scrape_metrics as metrics, wait_metric)
from kube_apiserver import KubeAPIServer, pod  # noqa: E402

TMP = tempfile.mkdtemp(prefix="tg-scope-")
PODS = "/api/v1/pods"
TPS = "/apis/cilium.io/v1alpha1/tracingpolicies"
TPNS = "/apis/cilium.io/v1alpha1/tracingpoliciesnamespaced"
# a copy the policies name: other tests' syscall_storm runs are not theirs
STORM = os.path.join(TMP, "scope-storm")
CG_TOP = "tg-scope-test-%d" % os.getpid()
TETRA = os.path.join(ROOT, BUILD, "bin", "tetra")


def wait_log(a, pattern, timeout=20):
    deadline = time.time() + timeout
    rx = re.compile(pattern)
    while True:
        m = rx.search(a.stderr())
        if m:
            return m
        if time.time() > deadline:
            raise AssertionError("no log line /%s/ in:\n%s" % (pattern, a.stderr()[-4000:]))
        time.sleep(0.05)


def cgroup2_root():
    for d in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if os.path.exists(os.path.join(d, "cgroup.procs")) and os.path.exists(os.path.join(d, "cgroup.controllers")):
            return d
    raise Skip("no cgroup2 hierarchy")


class Pod:
    """A pod's cgroup (kubelet's cgroupfs layout) and its containers' cgroups, processes run in them."""

    def __init__(self, name, ns, labels=None, containers=("main",), make_cgroups=True):
        self.name, self.ns, self.labels = name, ns, labels or {}
        self.uid = str(uuid.uuid4())
        self.top = os.path.join(cgroup2_root(), CG_TOP)
        self.dir = os.path.join(self.top, "kubepods", "besteffort", "pod" + self.uid)
        self.ids = {c: uuid.uuid4().hex + uuid.uuid4().hex for c in containers}
        self.procs = []
        if make_cgroups:
            self.make_cgroups()

    def make_pod_cgroup(self):
        os.makedirs(self.dir, exist_ok=True)

    def make_cgroups(self):
        for cid in self.ids.values():
            os.makedirs(os.path.join(self.dir, cid), exist_ok=True)

    def obj(self, statuses=True):
        return pod(self.name, uid=self.uid, namespace=self.ns, labels=self.labels,
                   containers=[{"name": n, "image": "docker.io/library/busybox:1",
                                "image_id": "docker.io/library/busybox@sha256:" + "cd" * 32,
                                "id": "containerd://" + cid} for n, cid in self.ids.items()] if statuses else [])

    def run(self, container, *cmd):
        path = os.path.join(self.dir, self.ids[container])
        p = subprocess.Popen(["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', path] + list(cmd),
                             stdout=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for d, _, _ in sorted(os.walk(self.dir), key=lambda x: -len(x[0])):
            try:
                os.rmdir(d)
            except OSError:
                pass


def cleanup_cgroups():
    top = os.path.join(cgroup2_root(), CG_TOP)
    for d, _, _ in sorted(os.walk(top), key=lambda x: -len(x[0])):
        try:
            os.rmdir(d)
        except OSError:
            pass


def storm_policy(name, action, ns=None, spec_extra=None):
    spec = {"kprobes": [{"call": "sys_getppid", "syscall": True, "message": "scoped getppid",
                         "selectors": [{"matchBinaries": [{"operator": "In", "values": [STORM]}],
                                        "matchActions": [{"action": action}]}]}]}
    spec.update(spec_extra or {})
    md = {"name": name}
    if ns:
        md["namespace"] = ns
    return {"metadata": md, "spec": spec}


def start(srv, *extra):
    port = free_port()
    a = Agent("--enable-k8s-api", "--k8s-kubeconfig-path", srv.kubeconfig(),
              "--metrics-server", "127.0.0.1:%d" % port, *extra)
    return a, port


def run_storm(runner, n=3):
    """The call from a process (runner: a function starting it); its exit status."""
    p = runner("--getppid", str(n))
    try:
        return p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        raise


def host_run(*args):
    return subprocess.Popen([STORM] + list(args), stdout=subprocess.DEVNULL)


def kprobes_of(a, policy):
    a.read()
    return [e["process_kprobe"] for e in a.events
            if "process_kprobe" in e and e["process_kprobe"].get("policy_name") == policy]


def scope_filtered(port, policy):
    return sum(v for (name, labels), v in metrics(port).items()
               if name == "tetragon_policy_scope_filtered_total" and ("policy", policy) in labels)


def wait_at_least(fn, want, what, timeout=20):
    """The metrics page is rendered once a second: poll until fn() >= want."""
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = fn()
        if got >= want:
            return got
        time.sleep(0.1)
    raise AssertionError("%s: %s, want at least %s" % (what, got, want))


def hook_calls(port, policy, result, ns=None):
    """ns None: every namespace's policy of that name."""
    return sum(v for (n, l), v in metrics(port).items() if n == "tetragon_policy_hook_calls_total" and
               ("policy", policy) in l and ("result", result) in l and
               (ns is None or ("policy_namespace", ns) in l))


def scope_cgroups(port, policy, ns=None):
    for (name, labels), v in metrics(port).items():
        if name == "tetragon_policy_scope_cgroups" and ("policy", policy) in labels and \
                (ns is None or ("policy_namespace", ns) in labels):
            return v
    return None


def known_cgroups(port, kind):
    return metrics(port).get(("tetragon_policy_scope_known_cgroups", (("kind", kind),)), 0)


def wait_scope(port, policy, want, timeout=20, ns=None):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = scope_cgroups(port, policy, ns)
        if got == want:
            return
        time.sleep(0.05)
    raise AssertionError("policy %s%s: %s cgroups in scope, want %s" % (ns + "/" if ns else "", policy, got, want))


def setup():
    require_root()
    cgroup2_root()
    shutil.copy(os.path.join(HELPERS, "syscall_storm"), STORM)


def test_namespaced_sigkill():
    """A TracingPolicyNamespaced in shop with Sigkill: the shop pod's process is killed at its first call;
    the same binary in a pod of another namespace and on the host runs to its end, its calls counted as
    filtered out of scope. Deleted: the shop pod's process runs unharmed again."""
    srv = KubeAPIServer(TMP)
    web = Pod("web-0", "shop", labels={"app": "web"})
    db = Pod("db-0", "other", labels={"app": "web"})
    srv.put(PODS, web.obj())
    srv.put(PODS, db.obj())
    srv.put(TPNS, storm_policy("kill-getppid", "Sigkill", ns="shop"))
    late = Pod("web-late", "shop", make_cgroups=False)
    a, port = start(srv)
    try:
        wait_log(a, r"k8s: TracingPolicyNamespaced shop/kill-getppid \(generation 1\) loaded")
        # the shop pod: its pod cgroup and its container's
        wait_scope(port, "kill-getppid", 2)
        # a workload making kubelet-like directories in its own pod's cgroup names no pod: not read
        os.makedirs(os.path.join(db.dir, "kubepods", "besteffort", "pod" + web.uid, db.ids["main"]))
        # the sentinel: a shop pod's cgroup made after them enters the scope
        srv.put(PODS, late.obj(statuses=False))
        wait_metric(port, "tetragon_k8s_pods", {"state": "live"}, 3)
        late.make_pod_cgroup()
        wait_scope(port, "kill-getppid", 3)
        assert metrics(port)[("tetragon_policy_scope_errors_total", (("type", "conflict"),))] == 0
        assert run_storm(lambda *x: db.run("main", STORM, *x)) == 0
        assert run_storm(host_run) == 0
        rc = run_storm(lambda *x: web.run("main", STORM, *x))
        assert rc == -signal.SIGKILL, rc
        ev = a.wait_for(lambda e: e.get("process_kprobe", {}).get("policy_name") == "kill-getppid",
                        what="the Sigkill record")
        k = ev["process_kprobe"]
        assert k["action"] == "KPROBE_ACTION_SIGKILL", k
        assert k["process"]["binary"] == STORM and k["process"]["pod"]["namespace"] == "shop", k
        # the sentinel was the kill: nothing from the others
        ks = kprobes_of(a, "kill-getppid")
        assert all(x["process"].get("pod", {}).get("namespace") == "shop" for x in ks), ks
        wait_at_least(lambda: scope_filtered(port, "kill-getppid"), 6, "calls out of scope")
        wait_at_least(lambda: hook_calls(port, "kill-getppid", "filtered"), 6, "calls filtered")
        # the page may predate the kill: wait for it, then exactly the one call matched
        assert wait_at_least(lambda: hook_calls(port, "kill-getppid", "matched"), 1, "calls matched") == 1
        # and in the policy's status
        r = subprocess.run([TETRA, "tracingpolicy", "list", "-o", "json", "--server-address",
                            "unix://" + os.path.join(a.dir, "tetragon.sock")], capture_output=True, timeout=60)
        pol = [p for p in json.loads(r.stdout)["policies"] if p["name"] == "kill-getppid"][0]
        assert pol["namespace"] == "shop" and pol["state"] == "TP_STATE_ENABLED", pol
        assert re.search(r"1 matched, \d+ filtered \(\d+ out of its workloads\)", pol["info"]), pol
        srv.delete(TPNS, "shop", "kill-getppid")
        wait_log(a, r"k8s: TracingPolicyNamespaced shop/kill-getppid deleted: unloaded")
        assert run_storm(lambda *x: web.run("main", STORM, *x)) == 0
    finally:
        a.stop()
        web.close()
        db.close()
        late.close()
        srv.close()


def test_pod_selector_post():
    """podSelector (matchLabels, In/NotIn/Exists/DoesNotExist expressions, the namespace pseudo-label) on a
    cluster-wide policy with Post: records only from the selected pods' processes; a label change brings a
    pod in and out."""
    srv = KubeAPIServer(TMP)
    sel = {"podSelector": {"matchLabels": {"app": "web"},
                           "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "edge"]},
                                                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                                                {"key": "team", "operator": "Exists"},
                                                {"key": "legacy", "operator": "DoesNotExist"},
                                                # upstream's namespace pseudo-label
                                                {"key": "k8s:io.kubernetes.pod.namespace", "operator": "In",
                                                 "values": ["shop"]}]}}
    good = Pod("front-0", "shop", labels={"app": "web", "tier": "front", "team": "a"})
    dev = Pod("front-dev", "shop", labels={"app": "web", "tier": "front", "team": "a", "env": "dev"})
    legacy = Pod("front-old", "shop", labels={"app": "web", "tier": "edge", "team": "a", "legacy": "y"})
    otherns = Pod("front-x", "other", labels={"app": "web", "tier": "front", "team": "a"})
    pods = [good, dev, legacy, otherns]
    for p in pods:
        srv.put(PODS, p.obj())
    srv.put(TPS, storm_policy("post-getppid", "Post", spec_extra=sel))
    a, port = start(srv)
    try:
        wait_log(a, r"k8s: TracingPolicy post-getppid \(generation 1\) loaded")
        wait_scope(port, "post-getppid", 2)
        others = [p.run("main", STORM, "--getppid", "2") for p in (dev, legacy, otherns)]
        others.append(host_run("--getppid", "2"))
        for p in others:
            assert p.wait(timeout=30) == 0
        sentinel = good.run("main", STORM, "--getppid", "2")
        assert sentinel.wait(timeout=30) == 0
        a.wait_count(lambda e: e.get("process_kprobe", {}).get("process", {}).get("pid") == sentinel.pid, 2,
                     what="the selected pod's records")
        pids = {x["process"]["pid"] for x in kprobes_of(a, "post-getppid")}
        assert pids == {sentinel.pid}, (pids, sentinel.pid, [p.pid for p in others])
        wait_at_least(lambda: scope_filtered(port, "post-getppid"), 8, "calls out of scope")
        # the team label goes: out of scope; back: in
        good.labels = {"app": "web", "tier": "front"}
        srv.put(PODS, good.obj())
        wait_scope(port, "post-getppid", 0)
        good.labels = {"app": "web", "tier": "front", "team": "b"}
        srv.put(PODS, good.obj())
        wait_scope(port, "post-getppid", 2)
    finally:
        a.stop()
        for p in pods:
            p.close()
        srv.close()


def test_container_selector():
    """containerSelector on the container's name: the main container's process is killed, the sidecar's
    in the same pod is not; the pod's own cgroup is not in the scope (only some containers are)."""
    srv = KubeAPIServer(TMP)
    p = Pod("two-0", "shop", containers=("main", "sidecar"))
    srv.put(PODS, p.obj())
    sel = {"containerSelector": {"matchExpressions": [{"key": "name", "operator": "In", "values": ["main"]}]}}
    srv.put(TPS, storm_policy("kill-main", "Sigkill", spec_extra=sel))
    a, port = start(srv)
    try:
        wait_log(a, r"k8s: TracingPolicy kill-main \(generation 1\) loaded")
        wait_scope(port, "kill-main", 1)
        assert run_storm(lambda *x: p.run("sidecar", STORM, *x)) == 0
        assert run_storm(lambda *x: p.run("main", STORM, *x)) == -signal.SIGKILL
        # the repo field too: the image id's part before '@'
        srv.put(TPS, storm_policy("kill-main", "Sigkill", spec_extra={"containerSelector": {
            "matchLabels": {"name": "sidecar"},
            "matchExpressions": [{"key": "repo", "operator": "In", "values": ["docker.io/library/busybox"]}]}}))
        wait_log(a, r"k8s: TracingPolicy kill-main \(generation 2\) loaded")
        wait_scope(port, "kill-main", 1)
        assert run_storm(lambda *x: p.run("main", STORM, *x)) == 0
        assert run_storm(lambda *x: p.run("sidecar", STORM, *x)) == -signal.SIGKILL
    finally:
        a.stop()
        p.close()
        srv.close()


def test_pod_after_policy():
    """A pod the API server serves after the policy, before kubelet made its cgroup: when the pod cgroup
    appears it enters the scope (inotify), so the first process of a container started in it, which no
    event has named yet, is killed at its first call. Pod deleted, cgroups gone: out of the scope."""
    srv = KubeAPIServer(TMP)
    srv.put(TPNS, storm_policy("kill-new", "Sigkill", ns="shop"))
    a, port = start(srv)
    p = Pod("late-0", "shop", make_cgroups=False)
    try:
        wait_log(a, r"k8s: TracingPolicyNamespaced shop/kill-new \(generation 1\) loaded")
        wait_scope(port, "kill-new", 0)
        # scheduled: no container statuses yet, no cgroup yet
        srv.put(PODS, p.obj(statuses=False))
        wait_metric(port, "tetragon_k8s_pods", {"state": "live"}, 1)
        p.make_pod_cgroup()
        wait_scope(port, "kill-new", 1)
        # the container's cgroup and first process: no pod status names it yet
        p.make_cgroups()
        assert run_storm(lambda *x: p.run("main", STORM, *x)) == -signal.SIGKILL
        # running: the status names the container, its cgroup is added too
        srv.put(PODS, p.obj())
        wait_scope(port, "kill-new", 2)
        srv.delete(PODS, "shop", "late-0")
        wait_scope(port, "kill-new", 0)
    finally:
        a.stop()
        p.close()
        srv.close()


def test_namespaced_with_pod_selector():
    """A namespaced policy's podSelector selects among the pods of its namespace only. Policies are keyed by
    (namespace, name) as upstream's: one of the same name in namespace other (Post, not Sigkill) runs beside
    it, each acting in its own namespace only, listed, counted (policy_namespace) and pinned
    (<namespace>:<name>) apart; the same (namespace, name) again is refused; deleting one leaves the other."""
    srv = KubeAPIServer(TMP)
    web = Pod("web-1", "shop", labels={"app": "web"})
    other = Pod("web-2", "other", labels={"app": "web"})
    srv.put(PODS, web.obj())
    srv.put(PODS, other.obj())
    sel = {"podSelector": {"matchLabels": {"app": "web"}}}
    srv.put(TPNS, storm_policy("ns-sel", "Sigkill", ns="shop", spec_extra=sel))
    srv.put(TPNS, storm_policy("ns-sel", "Post", ns="other", spec_extra=sel))
    bpfdir = "tg-test-scope-%d" % os.getpid()
    pins = os.path.join("/sys/fs/bpf", bpfdir)
    a, port = start(srv, "--keep-sensors-on-exit", "--bpf-dir", bpfdir)
    sock = "unix://" + os.path.join(a.dir, "tetragon.sock")

    def ns_sel(action, pid=None):
        return lambda e: (e.get("process_kprobe", {}).get("policy_name") == "ns-sel" and
                          e["process_kprobe"].get("action") == action and
                          (pid is None or e["process_kprobe"]["process"]["pid"] == pid))

    try:
        wait_log(a, r"k8s: TracingPolicyNamespaced shop/ns-sel \(generation 1\) loaded")
        wait_log(a, r"k8s: TracingPolicyNamespaced other/ns-sel \(generation 1\) loaded")
        wait_scope(port, "ns-sel", 2, ns="shop")
        wait_scope(port, "ns-sel", 2, ns="other")
        p = other.run("main", STORM, "--getppid", "3")
        assert p.wait(timeout=30) == 0
        a.wait_count(ns_sel("KPROBE_ACTION_POST", p.pid), 3, what="other/ns-sel's records")
        assert run_storm(lambda *x: web.run("main", STORM, *x)) == -signal.SIGKILL
        a.wait_for(ns_sel("KPROBE_ACTION_SIGKILL"), what="shop/ns-sel's Sigkill record")
        ks = kprobes_of(a, "ns-sel")
        ns_of = {"KPROBE_ACTION_SIGKILL": "shop", "KPROBE_ACTION_POST": "other"}
        assert all(k["process"]["pod"]["namespace"] == ns_of[k["action"]] for k in ks), ks
        # one series per (policy_namespace, policy)
        assert wait_at_least(lambda: hook_calls(port, "ns-sel", "matched", "other"), 3, "other matched") == 3
        assert wait_at_least(lambda: hook_calls(port, "ns-sel", "matched", "shop"), 1, "shop matched") == 1
        # listed apart; the same (namespace, name) over the API is refused, naming it
        r = subprocess.run([TETRA, "tracingpolicy", "list", "-o", "json", "--server-address", sock],
                           capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        listed = sorted(p["namespace"] for p in json.loads(r.stdout)["policies"] if p["name"] == "ns-sel")
        assert listed == ["other", "shop"], r.stdout
        dup = os.path.join(TMP, "dup.yaml")
        with open(dup, "w") as f:
            json.dump(dict(storm_policy("ns-sel", "Post", ns="shop"), apiVersion="cilium.io/v1alpha1",
                           kind="TracingPolicyNamespaced"), f)
        r = subprocess.run([TETRA, "tracingpolicy", "add", dup, "--server-address", sock],
                           capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert r.returncode != 0 and re.search(rb"tracing policy shop/ns-sel: .* already loaded", r.stderr), r
        # --keep-sensors-on-exit pins each under upstream's <namespace>:<name>
        for d in ("shop:ns-sel", "other:ns-sel"):
            assert os.path.isdir(os.path.join(pins, d)), os.listdir(pins)
        srv.delete(TPNS, "shop", "ns-sel")
        wait_log(a, r"k8s: TracingPolicyNamespaced shop/ns-sel deleted: unloaded")
        assert scope_cgroups(port, "ns-sel", "other") == 2
        assert run_storm(lambda *x: web.run("main", STORM, *x)) == 0
        p = other.run("main", STORM, "--getppid", "2")
        assert p.wait(timeout=30) == 0
        a.wait_count(ns_sel("KPROBE_ACTION_POST", p.pid), 2, what="other/ns-sel's records after the delete")
    finally:
        a.stop()
        # the pins outlive the agent: unpinning detaches them
        shutil.rmtree(pins, True)
        web.close()
        other.close()
        srv.close()


def test_host_selector():
    """hostSelector: {}: host processes (in no pod's cgroup), plus the podSelector's pods when there is one;
    a pod the selector leaves out is untouched."""
    srv = KubeAPIServer(TMP)
    web = Pod("web-3", "shop", labels={"app": "web"})
    db = Pod("db-3", "shop", labels={"app": "db"})
    srv.put(PODS, web.obj())
    srv.put(PODS, db.obj())
    srv.put(TPS, storm_policy("kill-host", "Sigkill", spec_extra={"hostSelector": {}}))
    a, port = start(srv)
    try:
        wait_log(a, r"k8s: TracingPolicy kill-host \(generation 1\) loaded")
        wait_scope(port, "kill-host", 0)
        wait_at_least(lambda: known_cgroups(port, "pod"), 2, "pod cgroups found")
        assert run_storm(lambda *x: web.run("main", STORM, *x)) == 0
        assert run_storm(lambda *x: db.run("main", STORM, *x)) == 0
        assert run_storm(host_run) == -signal.SIGKILL
        srv.put(TPS, storm_policy("kill-host", "Sigkill", spec_extra={
            "hostSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}))
        wait_log(a, r"k8s: TracingPolicy kill-host \(generation 2\) loaded")
        wait_scope(port, "kill-host", 2)
        assert run_storm(lambda *x: db.run("main", STORM, *x)) == 0
        assert run_storm(lambda *x: web.run("main", STORM, *x)) == -signal.SIGKILL
        assert run_storm(host_run) == -signal.SIGKILL
    finally:
        a.stop()
        web.close()
        db.close()
        srv.close()


CRI_CLIENT = os.path.join(ROOT, BUILD, "tests", "cri_client")
MARKER = "/tg-scope-marker-%d" % os.getpid()   # never created: opening it fails, unless the policy kills first


def marker_policy(name, ns):
    return {"metadata": {"name": name, "namespace": ns},
            "spec": {"kprobes": [{"call": "sys_openat", "syscall": True,
                                  "args": [{"index": 1, "type": "string"}],
                                  "selectors": [{"matchArgs": [{"index": 1, "operator": "Equal",
                                                                "values": [MARKER]}],
                                                 "matchActions": [{"action": "Sigkill"}]}]}]}}


class CRI:
    """containerd with its CRI plugin (containers_env.py), pods run through it as kubelet runs them."""

    def __init__(self):
        import containers_env as ce
        self.ce = ce
        missing = [p for p in ce.missing_packages() if p in ("containerd", "runc", "busybox-static")]
        if missing and not ce.install_packages(missing):
            raise Skip("containerd missing and not installable here: " + " ".join(missing))
        if not os.access(CRI_CLIENT, os.X_OK):
            raise Skip("%s not built (make tests)" % CRI_CLIENT)
        self.work = tempfile.mkdtemp(prefix="tg-scope-cri-")
        self.sandboxes = []
        images = ce.build_images(self.work)
        os.makedirs(os.path.join(self.work, "containerd"))
        self.c = ce.Containerd(os.path.join(self.work, "containerd"))
        self.c.ctr("images", "import", images[ce.IMAGE][0], ns="k8s.io")
        self.c.ctr("images", "import", images[ce.PAUSE_IMAGE][0], ns="k8s.io")

    def cri(self, *args, check=True):
        r = subprocess.run([CRI_CLIENT, self.c.sock] + list(args), capture_output=True, timeout=120,
                           env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
        if check and r.returncode:
            raise AssertionError("cri_client %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
        return r

    def sandbox(self, name, ns, uid, *labels):
        sb = self.cri("runp", name, ns, uid, *labels).stdout.decode().strip()
        self.sandboxes.append(sb)
        return sb

    def container(self, sb, cname, pod_name, ns, uid, *cmd):
        cid = self.cri("create", sb, cname, self.ce.IMAGE, pod_name, ns, uid, *cmd).stdout.decode().strip()
        self.cri("start", cid)
        return cid

    def close(self):
        for sb in self.sandboxes:
            self.cri("stopp", sb, check=False)
            self.cri("rmp", sb, check=False)
        self.c.stop()
        with open("/proc/self/mountinfo") as f:
            mps = [line.split()[4] for line in f]
        for mp in sorted((m for m in mps if m.startswith(self.work + "/")), key=len, reverse=True):
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.work, True)
        # the parents runc left in every hierarchy (empty ones only: another test's pods keep theirs)
        for h in os.listdir("/sys/fs/cgroup"):
            base = os.path.join("/sys/fs/cgroup", h, "kubepods")
            for d, _, _ in sorted(os.walk(base), key=lambda w: len(w[0]), reverse=True):
                try:
                    os.rmdir(d)
                except OSError:
                    pass


def cri_pod(name, ns, uid, containers, labels=None):
    """The Pod the API server would serve for a CRI sandbox: containers {name: CRI container id}."""
    return pod(name, uid=uid, namespace=ns, labels=labels or {},
               containers=[{"name": n, "image": "tg.local/busybox:1", "id": "containerd://" + cid}
                           for n, cid in containers.items()])


def test_cri_containers():
    """Real containers through containerd's CRI API, the pods served with their container ids: a
    TracingPolicyNamespaced Sigkill on opening a path kills the shop pod's process at that call; a pod of
    another namespace and the host open it unharmed (ENOENT). A pod created after the policy: its
    container's first process is killed at its first such call, before the pod status names it."""
    rt = CRI()
    srv = KubeAPIServer(TMP)
    a = None
    try:
        uid_a, uid_b, uid_c = (str(uuid.uuid4()) for _ in range(3))
        sa = rt.sandbox("web-0", "shop", uid_a, "app=web")
        ca = rt.container(sa, "main", "web-0", "shop", uid_a, "/bin/sleep", "100000")
        sb = rt.sandbox("web-1", "other", uid_b, "app=web")
        cb = rt.container(sb, "main", "web-1", "other", uid_b, "/bin/sleep", "100000")
        srv.put(PODS, cri_pod("web-0", "shop", uid_a, {"main": ca}, {"app": "web"}))
        srv.put(PODS, cri_pod("web-1", "other", uid_b, {"main": cb}, {"app": "web"}))
        srv.put(TPNS, marker_policy("kill-marker", "shop"))
        a, port = start(srv)
        wait_log(a, r"k8s: TracingPolicyNamespaced shop/kill-marker \(generation 1\) loaded")
        # the pod's cgroup and its container's
        wait_scope(port, "kill-marker", 2)
        r = rt.cri("exec", cb, "cat", MARKER, check=False)
        assert r.returncode == 1 and b"No such file" in r.stderr, r
        r = subprocess.run(["cat", MARKER], capture_output=True, timeout=30)
        assert r.returncode == 1 and b"No such file" in r.stderr, r
        r = rt.cri("exec", ca, "cat", MARKER, check=False)
        assert r.returncode == 128 + signal.SIGKILL, r
        ev = a.wait_for(lambda e: e.get("process_kprobe", {}).get("policy_name") == "kill-marker",
                        what="the Sigkill record")
        assert ev["process_kprobe"]["process"]["docker"] == ca[:31], ev
        ks = kprobes_of(a, "kill-marker")
        assert [k["process"]["docker"] for k in ks] == [ca[:31]], ks
        wait_at_least(lambda: scope_filtered(port, "kill-marker"), 2, "calls out of scope")

        # a pod scheduled after the policy: the API server has it before kubelet runs its sandbox
        srv.put(PODS, cri_pod("late-0", "shop", uid_c, {}))
        wait_metric(port, "tetragon_k8s_pods", {"state": "live"}, 3)
        sc = rt.sandbox("late-0", "shop", uid_c)
        wait_scope(port, "kill-marker", 3)
        cc = rt.container(sc, "main", "late-0", "shop", uid_c, "/bin/cat", MARKER)
        ev = a.wait_for(lambda e: e.get("process_kprobe", {}).get("process", {}).get("docker") == cc[:31],
                        what="the new container's first process killed")
        k = ev["process_kprobe"]
        assert k["action"] == "KPROBE_ACTION_SIGKILL" and k["args"][0]["string_arg"] == MARKER, k
        x = a.wait_for(lambda e: e.get("process_exit", {}).get("process", {}).get("exec_id") ==
                       k["process"]["exec_id"], what="its exit")
        assert x["process_exit"].get("signal") == "SIGKILL", x
    finally:
        if a:
            a.stop()
        srv.close()
        rt.close()


if __name__ == "__main__":
    try:
        setup()
        sys.exit(run_tests([test_namespaced_sigkill, test_pod_selector_post, test_container_selector,
                            test_pod_after_policy, test_namespaced_with_pod_selector,
                            test_host_selector, test_cri_containers]))
    except Skip as e:
        print("SKIP: %s" % e)
        sys.exit(0)
    finally:
        cleanup_cgroups()
        shutil.rmtree(TMP, True)
