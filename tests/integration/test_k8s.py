#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The Kubernetes client against a stand-in API server (kube_apiserver.py:
HTTPS with a test CA, bearer token checked, list and chunked watch as the
API server serves them): the node's pods reach the cache and the `pod`
field of events of processes in their containers (a cgroup named as
kubelet names a container's, the join by container id), a pod known only
after its process started fills the process's later events, the watch
resumes from the last resourceVersion (a bookmark's) after a dropped
connection and lists again after 410 Gone, bad JSON and huge objects are
refused and counted, a wrong token is refused, a client certificate
works, and TracingPolicy custom resources are loaded, reloaded and
unloaded as they change (TracingPolicyNamespaced too: test_k8s_scope.py
checks its scope)."""

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
from harness import (HELPERS, ROOT, BUILD, Agent, Skip, execs, exit_of, require_root, run_tests,  # noqa: E402
                     free_port, scrape_metrics as metrics, wait_metric)
from kube_apiserver import KubeAPIServer, pod  # noqa: E402

TMP = tempfile.mkdtemp(prefix="tg-k8s-")
PODS = "/api/v1/pods"
TPS = "/apis/cilium.io/v1alpha1/tracingpolicies"
TPNS = "/apis/cilium.io/v1alpha1/tracingpoliciesnamespaced"
SYSCALL_STORM = os.path.realpath(os.path.join(HELPERS, "syscall_storm"))
TETRA = os.path.join(ROOT, BUILD, "bin", "tetra")
CG_TOP = "tg-k8s-test-%d" % os.getpid()


def wait_log(a, pattern, timeout=20, start=0):
    deadline = time.time() + timeout
    rx = re.compile(pattern)
    while True:
        m = rx.search(a.stderr(), start)
        if m:
            return m
        if time.time() > deadline:
            raise AssertionError("no log line /%s/ in:\n%s" % (pattern, a.stderr()[-4000:]))
        time.sleep(0.05)


def tetra(*args):
    p = subprocess.run([TETRA] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def cgroup2_root():
    for d in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if os.path.exists(os.path.join(d, "cgroup.procs")) and os.path.exists(os.path.join(d, "cgroup.controllers")):
            return d
    raise Skip("no cgroup2 hierarchy")


class Container:
    """A cgroup named as kubelet's cgroupfs driver names a container's, and processes in it."""

    def __init__(self, pod_uid):
        self.id = uuid.uuid4().hex + uuid.uuid4().hex
        self.top = os.path.join(cgroup2_root(), CG_TOP)
        self.path = os.path.join(self.top, "kubepods", "besteffort", "pod" + pod_uid, self.id)
        os.makedirs(self.path)
        self.procs = []

    def run(self, *cmd):
        p = subprocess.Popen(["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', self.path] + list(cmd))
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        for d, _, _ in sorted(os.walk(self.top), key=lambda x: -len(x[0])):
            try:
                os.rmdir(d)
            except OSError:
                pass


def start(srv, *extra, kubeconfig=None):
    port = free_port()
    a = Agent("--enable-k8s-api", "--k8s-kubeconfig-path", kubeconfig or srv.kubeconfig(),
              "--metrics-server", "127.0.0.1:%d" % port, *extra)
    return a, port


def nginx_pod(uid, cid, **kw):
    return pod("web-7d9f8b6c5d-x2x4q", uid=uid, namespace="shop",
               labels={"app": "web", "pod-template-hash": "7d9f8b6c5d"}, annotations={"team": "payments"},
               owner=("ReplicaSet", "web-7d9f8b6c5d"), generate_name="web-7d9f8b6c5d-",
               containers=[{"name": "nginx", "image": "docker.io/library/nginx:1.25",
                            "image_id": "docker.io/library/nginx@sha256:" + "ab" * 32, "id": "containerd://" + cid,
                            "privileged": True, "liveness": ["sleep", "30"]}], **kw)


def test_pod_fields():
    """A process in a pod's container: every upstream pod field, the metrics labels, the requests."""
    require_root()
    srv = KubeAPIServer(TMP)
    uid = str(uuid.uuid4())
    c = Container(uid)
    srv.put(PODS, nginx_pod(uid, c.id))
    # another node's pod: the field selector keeps it out
    srv.put(PODS, pod("elsewhere", namespace="shop", node="other-node",
                      containers=[{"name": "x", "image": "busybox", "id": "containerd://" + "1" * 64}]))
    a, port = start(srv, "--enable-pod-annotations")
    try:
        wait_log(a, r"k8s: pods: listed 1 objects")
        p = c.run("/bin/sleep", "30")
        ev = a.wait_for(execs(binary="/bin/sleep", pid=p.pid), what="the exec in the pod")
        want = {"namespace": "shop", "name": "web-7d9f8b6c5d-x2x4q", "uid": uid,
                "container": {"id": "containerd://" + c.id, "name": "nginx",
                              "image": {"id": "docker.io/library/nginx@sha256:" + "ab" * 32,
                                        "name": "docker.io/library/nginx:1.25"},
                              "start_time": "2024-05-01T10:00:00Z", "pid": p.pid, "maybe_exec_probe": True,
                              "security_context": {"privileged": True}},
                "pod_labels": {"app": "web", "pod-template-hash": "7d9f8b6c5d"},
                "workload": "web", "workload_kind": "Deployment", "pod_annotations": {"team": "payments"}}
        got = ev["process_exec"]["process"].get("pod")
        assert got == want, json.dumps(got, indent=1)
        # the metrics' pod labels are real now
        deadline = time.time() + 20
        while True:     # the page is rendered once a second
            m = metrics(port)
            if any(k[0] == "tetragon_events_total" and ("namespace", "shop") in k[1] and
                   ("pod", "web-7d9f8b6c5d-x2x4q") in k[1] and ("workload", "web") in k[1] and
                   ("type", "PROCESS_EXEC") in k[1] for k in m):
                break
            assert time.time() < deadline, [k for k in m if k[0] == "tetragon_events_total"]
            time.sleep(0.1)
        assert m[("tetragon_watcher_events_total", (("watcher", "k8s"),))] >= 1
        assert m[("tetragon_k8s_pods", (("state", "live"),))] == 1
        # what the client asked for, as client-go asks
        lists = srv.requests_for(PODS, watch=False)
        watches = srv.wait_requests(PODS, 1, watch=True)
        assert lists[0]["query"]["fieldSelector"] == "spec.nodeName=tg-test-node", lists[0]
        assert lists[0]["headers"]["Authorization"] == "Bearer test-token"
        assert lists[0]["headers"]["Accept"] == "application/json"
        w = watches[0]["query"]
        assert w["allowWatchBookmarks"] == "true" and w["fieldSelector"] == "spec.nodeName=tg-test-node", w
        assert int(w["resourceVersion"]) == srv.rv and 300 <= int(w["timeoutSeconds"]) < 600, w
        p.kill()
    finally:
        a.stop()
        c.close()
        srv.close()


def test_late_pod_and_dropped_watch():
    """The pod arrives after its process: the process's next event has it. A dropped watch resumes
    from the bookmark's resourceVersion, without listing again."""
    require_root()
    srv = KubeAPIServer(TMP)
    uid = str(uuid.uuid4())
    c = Container(uid)
    a, port = start(srv)
    try:
        wait_log(a, r"k8s: pods: listed 0 objects")
        srv.wait_watches(3)
        p = c.run("/bin/sleep", "30")
        ev = a.wait_for(execs(binary="/bin/sleep", pid=p.pid), what="the exec")
        assert "pod" not in ev["process_exec"]["process"], ev
        srv.bookmark()
        bookmark_rv = srv.rv
        wait_metric(port, "tetragon_k8s_watch_bookmarks_total", {"resource": "pods"}, 1)
        srv.drop_watches()
        srv.put(PODS, nginx_pod(uid, c.id))
        watches = srv.wait_requests(PODS, 2, watch=True)
        assert watches[1]["query"]["resourceVersion"] == str(bookmark_rv), watches[1]
        wait_metric(port, "tetragon_k8s_pods", {"state": "live"}, 1)
        assert len(srv.requests_for(PODS, watch=False)) == 1, "listed again after a dropped connection"
        m = metrics(port)
        assert m[("tetragon_k8s_watch_restarts_total", (("resource", "pods"),))] >= 1
        assert m[("tetragon_k8s_errors_total", (("error", "transport"), ("resource", "pods")))] >= 1
        exec_id = ev["process_exec"]["process"]["exec_id"]
        p.kill()
        ex = a.wait_for(exit_of(exec_id), what="the exit")
        got = ex["process_exit"]["process"].get("pod", {})
        assert got.get("name") == "web-7d9f8b6c5d-x2x4q" and got["container"]["id"] == "containerd://" + c.id, ex
        # deleted: kept for late events, counted
        srv.delete(PODS, "shop", "web-7d9f8b6c5d-x2x4q")
        wait_metric(port, "tetragon_k8s_pods", {"state": "deleted"}, 1)
        wait_metric(port, "tetragon_k8s_pods", {"state": "live"}, 0)
    finally:
        a.stop()
        c.close()
        srv.close()


def test_process_older_than_agent():
    """A container's process that ran before the agent started (found in /proc, before the pod
    watch) has its pod in its next event."""
    require_root()
    srv = KubeAPIServer(TMP)
    uid = str(uuid.uuid4())
    c = Container(uid)
    srv.put(PODS, nginx_pod(uid, c.id))
    p = c.run("/bin/sleep", "30")
    deadline = time.time() + 10
    while c.id not in open("/proc/%d/cgroup" % p.pid).read() or \
            os.readlink("/proc/%d/exe" % p.pid).endswith("/sh"):
        assert time.time() < deadline
        time.sleep(0.01)
    a, port = start(srv)
    try:
        wait_log(a, r"k8s: pods: listed 1 objects")
        p.kill()
        ev = a.wait_for(lambda e: e.get("process_exit", {}).get("process", {}).get("pid") == p.pid,
                        what="the exit of the older process")
        got = ev["process_exit"]["process"].get("pod", {})
        assert got.get("name") == "web-7d9f8b6c5d-x2x4q" and "procFS" in ev["process_exit"]["process"]["flags"], ev
    finally:
        a.stop()
        c.close()
        srv.close()


def test_relist_after_gone():
    """The history the agent needs is compacted away while it is disconnected: the watch gets
    410 Gone (an ERROR event with a Status), the agent lists again and the cache is the new set."""
    require_root()
    srv = KubeAPIServer(TMP)
    srv.put(PODS, pod("a", namespace="ns1", containers=[{"name": "c", "image": "i", "id": "docker://" + "a" * 64}]))
    a, port = start(srv, "--enable-tracing-policy-crd=false")
    try:
        wait_log(a, r"k8s: pods: listed 1 objects")
        srv.wait_watches(1)
        srv.drop_watches()
        srv.delete(PODS, "ns1", "a")
        srv.put(PODS, pod("b", namespace="ns1", containers=[{"name": "c", "image": "i", "id": "docker://" + "b" * 64}]))
        srv.compact()
        wait_log(a, r"k8s: pods: resourceVersion \d+ is too old \(410 Gone\): listing again")
        wait_log(a, r"k8s: pods: listed 1 objects \(resourceVersion %d\)" % srv.rv)
        wait_metric(port, "tetragon_k8s_pods", {"state": "live"}, 1)
        wait_metric(port, "tetragon_k8s_pods", {"state": "deleted"}, 1)
        m = metrics(port)
        assert m[("tetragon_k8s_watch_gone_total", (("resource", "pods"),))] == 1
        assert m[("tetragon_k8s_lists_total", (("resource", "pods"),))] == 2
        assert len(srv.requests_for(PODS, watch=False)) == 2
        # the CRD watches are off: nothing asked for them
        assert not srv.requests_for(TPS) and not srv.requests_for(TPNS)
    finally:
        a.stop()
        srv.close()


def test_hostile_stream():
    """Bad JSON drops the connection (counted, resumed from the last resourceVersion); an object
    over 2 MiB is skipped on the same connection (counted); an invalid pod is refused (counted)."""
    require_root()
    srv = KubeAPIServer(TMP)
    a, port = start(srv, "--enable-tracing-policy-crd=false")
    try:
        wait_log(a, r"k8s: pods: listed 0 objects")
        srv.wait_watches(1)
        srv.inject(b'{"type": "ADDED", "object": {"metadata": }}\n')
        wait_metric(port, "tetragon_k8s_errors_total", {"error": "bad_json", "resource": "pods"}, 1)
        watches = srv.wait_requests(PODS, 2, watch=True)
        assert watches[1]["query"]["resourceVersion"] == watches[0]["query"]["resourceVersion"]
        srv.wait_watches(1)
        huge = {"type": "ADDED", "object": {"kind": "Pod", "apiVersion": "v1", "metadata": {
            "name": "huge", "namespace": "x", "uid": "u", "resourceVersion": "99999",
            "annotations": {"blob": "x" * (3 << 20)}}}}
        srv.inject(json.dumps(huge).encode() + b"\n")
        bad = pod("bad", namespace="x", containers=[{"name": "c", "image": "i", "id": "docker://" + "c" * 64}])
        bad["metadata"]["labels"] = "not-a-map"
        srv.put(PODS, bad)
        srv.put(PODS, pod("good", namespace="x", containers=[{"name": "c", "image": "i", "id": "docker://" + "d" * 64}]))
        wait_metric(port, "tetragon_k8s_pods", {"state": "live"}, 1)
        m = metrics(port)
        assert m[("tetragon_k8s_objects_refused_total", (("reason", "too_large"), ("resource", "pods")))] == 1
        assert m[("tetragon_k8s_objects_refused_total", (("reason", "invalid"), ("resource", "pods")))] == 1
        assert m[("tetragon_k8s_pods_refused_total", (("reason", "invalid"),))] == 1
        assert len(srv.requests_for(PODS, watch=True)) == 2, "the huge object dropped the connection"
        assert len(srv.requests_for(PODS, watch=False)) == 1
        wait_log(a, r"k8s: pods: a pod refused: metadata.labels: want an object")
        wait_log(a, r"larger than 2097152 bytes: skipped")
    finally:
        a.stop()
        srv.close()


def test_auth():
    """A wrong token is refused by the server: logged with the Status, counted, retried; a client
    certificate from the kubeconfig authenticates (no Authorization header)."""
    require_root()
    srv = KubeAPIServer(TMP)
    a, port = start(srv, "--enable-tracing-policy-crd=false", kubeconfig=srv.kubeconfig(token="wrong"))
    try:
        wait_log(a, r"k8s: pods: list failed: HTTP 401 Unauthorized: Unauthorized")
        deadline = time.time() + 20
        while metrics(port).get(("tetragon_k8s_errors_total", (("error", "http_status"), ("resource", "pods")))) < 1:
            assert time.time() < deadline
            time.sleep(0.1)
        assert metrics(port)[("tetragon_k8s_watch_synced", (("resource", "pods"),))] == 0
    finally:
        a.stop()
    a, port = start(srv, "--enable-tracing-policy-crd=false",
                    kubeconfig=srv.kubeconfig(client_cert=True, ca_inline=False))
    try:
        wait_log(a, r"k8s: pods: listed 0 objects")
        r = srv.requests_for(PODS)[-1]
        assert r["client_cert"] and "Authorization" not in r["headers"], r
    finally:
        a.stop()
        srv.close()


def getppid_tp(name, message, selector=True):
    spec = {"kprobes": [{"call": "sys_getppid", "syscall": True, "message": message}]}
    if selector:
        spec["kprobes"][0]["selectors"] = [{"matchBinaries": [{"operator": "In", "values": [SYSCALL_STORM]}]}]
    return {"metadata": {"name": name}, "spec": spec}


def kprobe_of(policy, message):
    def pred(ev):
        k = ev.get("process_kprobe")
        return k is not None and k.get("policy_name") == policy and k.get("message") == message
    return pred


def list_policies(a):
    rc, out, err = tetra("tracingpolicy", "list", "-o", "json", "--server-address",
                         "unix://" + os.path.join(a.dir, "tetragon.sock"))
    assert rc == 0, err
    return {p["name"]: p for p in json.loads(out).get("policies", [])}


def test_tracing_policy_crd():
    """TracingPolicy created: loaded, its events seen; spec changed: reloaded (the new message in
    events); metadata changed: nothing reloaded; deleted: unloaded. A TracingPolicyNamespaced loaded and
    listed with its namespace; an invalid one refused, listed in LOAD_ERROR with the reason; deleted: gone
    from the list."""
    require_root()
    srv = KubeAPIServer(TMP)
    srv.put(TPS, getppid_tp("k8s-getppid", "generation one"))
    a, port = start(srv)
    try:
        wait_log(a, r"k8s: TracingPolicy k8s-getppid \(generation 1\) loaded")
        subprocess.run([SYSCALL_STORM, "--getppid", "1"], check=True, stdout=subprocess.DEVNULL)
        a.wait_for(kprobe_of("k8s-getppid", "generation one"), what="the policy's event")
        pol = list_policies(a)["k8s-getppid"]
        assert pol["state"] == "TP_STATE_ENABLED" and pol["domain"] == "k8s", pol
        # a label only: generation unchanged, nothing reloaded
        obj = getppid_tp("k8s-getppid", "generation one")
        obj["metadata"]["labels"] = {"x": "y"}
        srv.put(TPS, obj)
        srv.put(TPS, getppid_tp("k8s-getppid", "generation two"))
        wait_log(a, r"k8s: TracingPolicy k8s-getppid \(generation 2\) loaded")
        assert "generation 1) loaded" in a.stderr() and a.stderr().count("k8s-getppid (generation") == 2
        subprocess.run([SYSCALL_STORM, "--getppid", "1"], check=True, stdout=subprocess.DEVNULL)
        a.wait_for(kprobe_of("k8s-getppid", "generation two"), what="the reloaded policy's event")
        # namespaced: loaded, scoped to its namespace's pods
        ns = getppid_tp("ns-pol", "namespaced one")
        ns["metadata"]["namespace"] = "shop"
        srv.put(TPNS, ns)
        wait_log(a, r"k8s: TracingPolicyNamespaced shop/ns-pol \(generation 1\) loaded")
        # invalid for this agent's parser (the CRD schema would let it through)
        srv.put(TPS, {"metadata": {"name": "bad-pol"}, "spec": {"kprobes": [{"call": "sys_getppid",
                                                                             "syscall": "maybe"}]}})
        wait_log(a, r"k8s: TracingPolicy bad-pol \(generation 1\) refused: policy:\d+:\d+: ")
        pols = list_policies(a)
        assert pols["ns-pol"]["state"] == "TP_STATE_ENABLED" and pols["ns-pol"]["namespace"] == "shop", pols
        assert pols["bad-pol"]["state"] == "TP_STATE_LOAD_ERROR" and pols["bad-pol"]["error"], pols["bad-pol"]
        # deleted: unloaded
        srv.delete(TPS, "", "k8s-getppid")
        srv.delete(TPNS, "shop", "ns-pol")
        wait_log(a, r"k8s: TracingPolicy k8s-getppid deleted: unloaded")
        wait_log(a, r"k8s: TracingPolicyNamespaced shop/ns-pol deleted: unloaded")
        pols = list_policies(a)
        assert "k8s-getppid" not in pols and "ns-pol" not in pols and "bad-pol" in pols, pols
        wait_metric(port, "tetragon_k8s_policy_changes_total", {"result": "unloaded"}, 3)
        m = metrics(port)
        assert m[("tetragon_k8s_policy_changes_total", (("result", "loaded"),))] == 3
        assert m[("tetragon_k8s_policy_changes_total", (("result", "refused"),))] == 1
    finally:
        a.stop()
        srv.close()


def test_config_errors():
    """A kubeconfig the agent cannot use stops it at start with the file, line and reason."""
    require_root()
    bad = os.path.join(TMP, "insecure.yaml")
    with open(bad, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n"
                "    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\n"
                "contexts:\n- name: c\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  user: {token: t}\n")
    p = subprocess.run([os.path.join(ROOT, BUILD, "bin", "tetragon"), "--enable-k8s-api", "--k8s-kubeconfig-path", bad,
                        "--server-address", "", "--server-socket", "", "--info-file", ""],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, TETRAGON_READ_SYSTEM_CONFIG="false"))
    err = p.stderr.decode()
    assert p.returncode != 0 and re.search(r"insecure\.yaml:8:\d+: insecure-skip-tls-verify", err), err


if __name__ == "__main__":
    try:
        sys.exit(run_tests([test_pod_fields, test_late_pod_and_dropped_watch, test_process_older_than_agent,
                            test_relist_after_gone,
                            test_hostile_stream, test_auth, test_tracing_policy_crd, test_config_errors]))
    finally:
        shutil.rmtree(TMP, True)
