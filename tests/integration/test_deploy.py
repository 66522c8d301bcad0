#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Deploying the agent (install/kubernetes/, make image): the plain
manifests are Kubernetes objects with what the agent needs (hostPID,
privileges, bpffs/tracefs/cgroup/proc/runtime mounts, probes, RBAC, the
metrics Service); the agent takes the ConfigMap as its --config-dir and,
against a stand-in API server, asks only what the ClusterRole grants; the
Helm chart uses upstream's value names and renders the same ConfigMap keys;
the image built without a daemon loads into Podman and Docker, and the
agent in it, run as the DaemonSet's pod spec says, reports a host exec and
a container's, with its pod from the API server it reaches as a pod does."""

import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import containers_env as ce  # noqa: E402
from harness import ROOT, BUILD, Agent, Skip, require_root, run_tests, free_port  # noqa: E402

try:
    import yaml
except ImportError:         # python3-yaml: scripts/install-deps.sh
    yaml = None

K8S = os.path.join(ROOT, "install", "kubernetes")
CHART = os.path.join(K8S, "tetragon")
TMP = tempfile.mkdtemp(prefix="tg-deploy-")
NAMESPACED = {"ServiceAccount", "ConfigMap", "DaemonSet", "Service", "ServiceMonitor", "RoleBinding", "Role"}


def load(path):
    if yaml is None:
        raise Skip("python3-yaml missing (make deps)")
    with open(path) as f:
        return [d for d in yaml.load_all(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if d is not None]


def objects():
    """kind -> object of tetragon.yaml (a fresh copy: callers may change it)."""
    return {d["kind"]: d for d in load(os.path.join(K8S, "tetragon.yaml"))}


def materialize(cm, d):
    """The ConfigMap as the kubelet mounts it: one file per key (and its ..data links, skipped by the agent)."""
    os.makedirs(d, exist_ok=True)
    ts = os.path.join(d, "..2026_01_01_00_00_00.000000")
    os.makedirs(ts)
    for k, v in cm["data"].items():
        with open(os.path.join(ts, k), "w") as f:
            f.write(v)
        os.symlink(os.path.join("..data", k), os.path.join(d, k))
    os.symlink(os.path.basename(ts), os.path.join(d, "..data"))
    return d


def pod_spec():
    return objects()["DaemonSet"]["spec"]["template"]["spec"]


def agent_container():
    return [c for c in pod_spec()["containers"] if c["name"] == "tetragon"][0]


def test_manifests_are_kubernetes_objects():
    """Every document: apiVersion, kind, a DNS-1123 name, a namespace where
    the kind is namespaced; labels that select what they should."""
    docs = []
    for p in [os.path.join(K8S, "tetragon.yaml"), os.path.join(K8S, "servicemonitor.yaml")] + \
            sorted(glob.glob(os.path.join(K8S, "crds", "*.yaml"))):
        for d in load(p):
            assert isinstance(d, dict) and {"apiVersion", "kind", "metadata"} <= set(d), (p, d)
            name = d["metadata"]["name"]
            assert re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name) and len(name) <= 253, (p, name)
            assert ("namespace" in d["metadata"]) == (d["kind"] in NAMESPACED), (p, d["kind"])
            # the API server takes strings only there (an unquoted true or 2112 is refused)
            for field in ("labels", "annotations"):
                assert all(isinstance(v, str) for v in d["metadata"].get(field, {}).values()), (p, field)
            if d["kind"] == "ConfigMap":
                assert all(isinstance(k, str) and isinstance(v, str) for k, v in d["data"].items()), d["data"]
            docs.append((d["apiVersion"], d["kind"]))
    for want in [("v1", "ServiceAccount"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
                 ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), ("v1", "ConfigMap"),
                 ("apps/v1", "DaemonSet"), ("v1", "Service"), ("monitoring.coreos.com/v1", "ServiceMonitor"),
                 ("apiextensions.k8s.io/v1", "CustomResourceDefinition")]:
        assert want in docs, want
    o = objects()
    ds = o["DaemonSet"]
    pod_labels = ds["spec"]["template"]["metadata"]["labels"]
    sel = ds["spec"]["selector"]["matchLabels"]
    assert sel.items() <= pod_labels.items(), (sel, pod_labels)
    assert o["Service"]["spec"]["selector"].items() <= pod_labels.items()
    sm = load(os.path.join(K8S, "servicemonitor.yaml"))[0]
    assert sm["spec"]["selector"]["matchLabels"].items() <= o["Service"]["metadata"]["labels"].items()
    assert sm["spec"]["endpoints"][0]["port"] in [p["name"] for p in o["Service"]["spec"]["ports"]]
    crb = o["ClusterRoleBinding"]
    assert crb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                              "name": o["ClusterRole"]["metadata"]["name"]}
    sa = o["ServiceAccount"]["metadata"]
    assert {"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]} in crb["subjects"]
    assert ds["spec"]["template"]["spec"]["serviceAccountName"] == sa["name"]


def test_daemonset_pod_spec():
    """hostPID, privileged, the host's filesystems the agent uses, probes on
    the gRPC health service, NODE_NAME, the ConfigMap as --config-dir, and
    every path the ConfigMap names mounted where it points."""
    spec, c, cm = pod_spec(), agent_container(), objects()["ConfigMap"]["data"]
    assert spec["hostPID"] is True
    assert c["securityContext"]["privileged"] is True
    vols = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"].rstrip("/"): m for m in c["volumeMounts"]}
    assert all(m["name"] in vols for m in c["volumeMounts"])
    host = {path: vols[m["name"]].get("hostPath", {}).get("path") for path, m in mounts.items()}
    for path, src in [("/sys/fs/bpf", "/sys/fs/bpf"), ("/sys/kernel/tracing", "/sys/kernel/tracing"),
                      ("/sys/kernel/debug", "/sys/kernel/debug"), ("/sys/fs/cgroup", "/sys/fs/cgroup"),
                      ("/procRoot", "/proc"), ("/host/run", "/run"), ("/var/run/tetragon", "/var/run/tetragon"),
                      ("/var/log/tetragon", "/var/log/tetragon")]:
        assert host.get(path) == src, (path, host.get(path))
    assert mounts["/sys/fs/bpf"]["mountPropagation"] == "Bidirectional"   # pins outlive the pod
    assert mounts["/host/run"]["readOnly"] is True
    conf = mounts["/etc/tetragon/tetragon.conf.d"]
    assert conf["readOnly"] is True and vols[conf["name"]]["configMap"]["name"] == \
        objects()["ConfigMap"]["metadata"]["name"]
    assert "--config-dir=/etc/tetragon/tetragon.conf.d/" in c["args"]
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["grpc"] == {"port": 6789, "service": "liveness"}, c[probe]
    assert cm["health-server-address"] == ":6789"
    env = {e["name"]: e for e in c["env"]}
    assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    svc = objects()["Service"]["spec"]["ports"][0]
    assert cm["metrics-server"] == ":%d" % svc["targetPort"] and svc["name"] == "metrics"

    def mounted(path):
        return any(path == m or path.startswith(m + "/") for m in mounts)
    for key in ("procfs", "export-filename", "containerd-socket", "docker-socket", "podman-socket"):
        assert mounted(cm[key]), (key, cm[key])
    assert mounted(cm["server-address"][len("unix://"):])


def test_configmap_starts_the_agent_rbac_covers_its_requests():
    """The ConfigMap, mounted as the kubelet mounts it, is the agent's
    --config-dir: every key a flag it knows (upstream's not built yet
    accepted with a warning), it starts, and every request it makes of a
    stand-in API server (pods of its node, TracingPolicy resources) is one
    the ClusterRole allows. Paths of the host (/procRoot, /var/run,
    /var/log, the metrics and health ports) are moved aside on the command
    line, which wins over the directory."""
    require_root()
    from kube_apiserver import KubeAPIServer
    o = objects()
    d = materialize(o["ConfigMap"], os.path.join(TMP, "conf"))
    os.makedirs(os.path.join(TMP, "api"))
    api = KubeAPIServer(os.path.join(TMP, "api"))
    a = None
    try:
        a = Agent("--config-dir", d, "--procfs", "/proc", "--metrics-server", "127.0.0.1:%d" % free_port(),
                  "--health-server-address", "127.0.0.1:%d" % free_port(),
                  "--k8s-kubeconfig-path", api.kubeconfig())
        api.wait_requests("/api/v1/pods", 1, watch=True)
        api.wait_requests("/apis/cilium.io/v1alpha1/tracingpolicies", 1, watch=True)
        err = a.stderr()
        assert "not a flag of this agent" not in err, err
        assert "JSON export filtered: allowlist denylist" in err, err
        with api.lock:
            reqs = list(api.requests)
    finally:
        if a:
            assert a.stop() == 0, a.stderr()
        api.close()
    rules = o["ClusterRole"]["rules"]
    for r in reqs:
        m = re.match(r"^/api/v1/(?:namespaces/[^/]+/)?([a-z]+)(?:/[^/]+)?$", r["path"]) or \
            re.match(r"^/apis/([^/]+)/[^/]+/(?:namespaces/[^/]+/)?([a-z]+)(?:/[^/]+)?$", r["path"])
        assert m, r["path"]
        group, resource = ("", m.group(1)) if r["path"].startswith("/api/") else m.groups()
        verb = "watch" if r["query"].get("watch") in ("true", "1") else \
            "get" if r["path"].count("/") > (3 if group == "" else 4) else "list"
        assert any(group in ru["apiGroups"] and resource in ru["resources"] and verb in ru["verbs"]
                   for ru in rules), (group, resource, verb, r["path"])
        assert verb in ("get", "list", "watch")


TLS_KEYS = {"server-tls-cert-file": "tls.crt", "server-tls-key-file": "tls.key",
            "server-tls-client-ca-files": "ca.crt", "server-tls-require-client-cert": None}


def test_grpc_tls_from_a_secret():
    """tetragon.grpc.tls with a Secret: the chart's keys and the Secret as
    the kubelet mounts it (0400 files behind ..data links) start the agent
    with TLS and client certificates required on its TCP address."""
    require_root()
    cm_text = open(os.path.join(CHART, "templates", "configmap.yaml")).read()
    d = os.path.join(TMP, "tls")
    secret = materialize({"data": {}}, os.path.join(d, "secret"))
    data = os.path.join(secret, "..data")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        os.path.join(data, "tls.key"), "-out", os.path.join(data, "tls.crt"), "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    shutil.copy(os.path.join(data, "tls.crt"), os.path.join(data, "ca.crt"))
    for f in ("tls.crt", "tls.key", "ca.crt"):
        os.chmod(os.path.join(data, f), 0o400)
        os.symlink(os.path.join("..data", f), os.path.join(secret, f))
    cm = objects()["ConfigMap"]
    for key, f in TLS_KEYS.items():
        m = re.search(r"^  %s: (\S+)$" % key, cm_text, re.M)
        assert m, key
        want = '"true"' if f is None else "/var/lib/tetragon/tls/" + f
        assert m.group(1) == want, (key, m.group(1))
        cm["data"][key] = "true" if f is None else os.path.join(secret, f)
    conf = materialize(cm, os.path.join(d, "conf"))
    port = free_port()
    a = Agent("--config-dir", conf, "--procfs", "/proc", "--enable-k8s-api=false", "--metrics-server", "",
              "--health-server-address", "", "--server-address", "127.0.0.1:%d" % port,
              "--server-socket", os.path.join(d, "tetragon.sock"))
    try:
        assert "gRPC server listening on 127.0.0.1:%d (TLS, client certificates required)" % port in a.stderr(), \
            a.stderr()
    finally:
        assert a.stop() == 0, a.stderr()


VALUE_RE = re.compile(r"\.Values((?:\.[A-Za-z0-9_]+)+)")


def test_helm_chart_values_and_configmap():
    """The chart (no helm here: its text is checked): Chart.yaml, upstream's
    main value names with the plain manifests' defaults, every .Values
    reference a value that exists, the ConfigMap template's keys the plain
    ConfigMap's, the same kinds of objects, the CRDs from crds/."""
    chart = load(os.path.join(CHART, "Chart.yaml"))[0]
    assert chart["apiVersion"] == "v2" and chart["name"] == "tetragon" and chart["type"] == "application"
    values = load(os.path.join(CHART, "values.yaml"))[0]

    def get(path):
        v = values
        for part in path.strip(".").split("."):
            assert isinstance(v, dict) and part in v, "values.yaml has no %s" % path
            v = v[part]
        return v
    for name, want in [("tetragon.image.repository", None), ("tetragon.image.tag", None),
                       ("tetragon.exportFilename", "tetragon.log"), ("exportDirectory", "/var/log/tetragon"),
                       ("tetragon.enableK8sAPI", True), ("tetragon.prometheus.enabled", True),
                       ("tetragon.prometheus.port", 2112), ("tetragon.prometheus.serviceMonitor.enabled", False),
                       ("tetragon.grpc.address", "unix:///var/run/tetragon/tetragon.sock"),
                       ("tetragon.healthGrpc.port", 6789), ("tetragon.healthGrpc.enabled", True),
                       ("tetragon.hostProcPath", "/proc"), ("tetragon.securityContext.privileged", True),
                       ("tetragon.processCacheSize", 65536), ("tetragon.enableProcessCred", False),
                       ("tetragon.extraArgs", {}), ("tolerations", [{"operator": "Exists"}]),
                       ("serviceAccount.create", True), ("tetragonOperator.tracingPolicy.enabled", True)]:
        v = get(name)
        assert want is None or v == want, (name, v, want)
    templates = sorted(glob.glob(os.path.join(CHART, "templates", "*")))
    assert templates
    kinds = set()
    for t in templates:
        text = open(t).read()
        for m in VALUE_RE.finditer(text):
            get(m.group(1))
        kinds |= set(re.findall(r"^kind: (\w+)$", text, re.M))
        # every {{ }} closed, every if/range/with/define ended
        assert text.count("{{") == text.count("}}"), t
        opens = len(re.findall(r"{{-?\s*(?:if|range|with|define)\b", text))
        ends = len(re.findall(r"{{-?\s*end\b", text))
        assert opens == ends, (t, opens, ends)
    assert kinds == set(objects()) | {"ServiceMonitor"}, kinds
    cm_text = open(os.path.join(CHART, "templates", "configmap.yaml")).read()
    keys = set(re.findall(r"^  ([a-z][a-z0-9-]*):", cm_text.split("\ndata:\n", 1)[1], re.M))
    plain = set(objects()["ConfigMap"]["data"])
    # written only when their value is set (btf, redaction, CRI, gRPC TLS): as upstream's chart
    assert keys - plain == {"btf", "redaction-filters", "cri-endpoint"} | set(TLS_KEYS), keys - plain
    assert plain <= keys, plain - keys
    # the DaemonSet template: the plain pod spec's volumes, mounts and settings
    ds_text = open(os.path.join(CHART, "templates", "daemonset.yaml")).read()
    spec, c = pod_spec(), agent_container()
    for v in spec["volumes"]:
        assert "- name: %s\n" % v["name"] in ds_text, v["name"]
        src = v.get("hostPath", {}).get("path")
        assert src is None or "path: %s\n" % src in ds_text or src in ("/proc", "/run", "/var/log/tetragon"), src
    for m in c["volumeMounts"]:
        assert "mountPath: %s\n" % m["mountPath"] in ds_text or m["mountPath"] == "/var/log/tetragon", m
    for line in ("hostPID: true", "service: liveness", "fieldPath: spec.nodeName",
                 "- --config-dir=/etc/tetragon/tetragon.conf.d/", "mountPropagation: Bidirectional",
                 "mountPropagation: HostToContainer"):
        assert line in ds_text, line
    crds = sorted(os.path.basename(p) for p in glob.glob(os.path.join(CHART, "crds", "*.yaml")))
    assert crds == sorted(os.path.basename(p) for p in glob.glob(os.path.join(K8S, "crds", "*.yaml"))), crds


# ---- the image -------------------------------------------------------------------------------

image = {}


def build_image():
    if not image:
        out = os.path.join(TMP, "image")
        tag = "tg.local/tetragon:%s" % uuid.uuid4().hex[:8]
        r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "build-image.py"), "--bin",
                            os.path.join(ROOT, BUILD, "bin"), "--out", out, "--tag", tag, "--gzip-level", "1"], capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        image.update(tag=tag, oci=os.path.join(out, "tetragon-oci.tar"),
                     docker=os.path.join(out, "tetragon-docker.tar"))
    return image


def test_oci_archive_layout():
    """index.json -> manifest -> config and layer, each blob its digest and size."""
    img = build_image()
    with tarfile.open(img["oci"]) as t:
        def blob(desc):
            data = t.extractfile("blobs/sha256/" + desc["digest"].split(":")[1]).read()
            assert "sha256:" + hashlib.sha256(data).hexdigest() == desc["digest"] and len(data) == desc["size"]
            return data
        assert json.loads(t.extractfile("oci-layout").read()) == {"imageLayoutVersion": "1.0.0"}
        index = json.loads(t.extractfile("index.json").read())
        desc = index["manifests"][0]
        assert desc["annotations"]["org.opencontainers.image.ref.name"] == img["tag"]
        manifest = json.loads(blob(desc))
        config = json.loads(blob(manifest["config"]))
        assert config["config"]["Entrypoint"] == ["/usr/bin/tetragon"]
        layer = gzip.decompress(blob(manifest["layers"][0]))
        assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(layer).hexdigest()]
        names = set(tarfile.open(fileobj=io.BytesIO(layer)).getnames())
        for want in ("usr/bin/tetragon", "usr/bin/tetra", "lib64/ld-linux-x86-64.so.2",
                     "lib/x86_64-linux-gnu/libbpf.so.1", "etc/tetragon/tetragon.conf.d", "var/run"):
            assert want in names, want


def run_args(confdir, rundir, logdir):
    """`run` flags from the DaemonSet's pod spec: hostNetwork, hostPID, privileged, its
    hostPath volumes (/var/run/tetragon and /var/log/tetragon moved to
    temporary directories), the ConfigMap directory, NODE_NAME, its args."""
    spec, c = pod_spec(), agent_container()
    vols = {v["name"]: v for v in spec["volumes"]}
    aside = {"/var/run/tetragon": rundir, "/var/log/tetragon": logdir}
    # a cgroup namespace of its own, as the kubelet's containers on cgroup v2 hosts
    out = ["--cgroupns", "private"]
    if spec.get("hostNetwork"):
        out += ["--network", "host"]
    if spec.get("hostPID"):
        out += ["--pid", "host"]
    if c["securityContext"].get("privileged"):
        out += privileged_flags()
    for m in c["volumeMounts"]:
        v = vols[m["name"]]
        if "configMap" in v:
            src = confdir
        else:
            src = aside.get(v["hostPath"]["path"], v["hostPath"]["path"])
        opts = ["ro" if m.get("readOnly") else "rw"]
        prop = {"Bidirectional": "rshared", "HostToContainer": "rslave"}.get(m.get("mountPropagation"))
        if prop and mount_shared(src):
            opts.append(prop)
        out += ["-v", "%s:%s:%s" % (src, m["mountPath"].rstrip("/"), ",".join(opts))]
    for e in c["env"]:
        if e["name"] == "NODE_NAME":
            out += ["-e", "NODE_NAME=tg-deploy-node"]
    return out, list(c["args"])


CAP_NAMES = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
             "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
             "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
             "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
             "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
             "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]


def privileged_flags():
    """--privileged, as the kubelet runs the pod; a host whose bounding set
    lacks a capability (this sandbox has no CAP_SYS_RESOURCE) cannot grant
    it, so there: every capability it has, and no seccomp filter."""
    with open("/proc/self/status") as f:
        bnd = int(re.search(r"^CapBnd:\s*([0-9a-f]+)", f.read(), re.M).group(1), 16)
    if all(bnd >> i & 1 for i in range(len(CAP_NAMES))):
        return ["--privileged"]
    return ["--security-opt", "seccomp=unconfined"] + [
        "--cap-add=" + n for i, n in enumerate(CAP_NAMES) if bnd >> i & 1]


def mount_shared(path):
    """Propagation needs a shared mount on the host; a test host may have none."""
    best, shared = "", False
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre = line.split(" - ")[0].split()
            mp = pre[4]
            if (path == mp or path.startswith(mp.rstrip("/") + "/")) and len(mp) >= len(best):
                best, shared = mp, any(x.startswith("shared:") for x in pre[6:])
    return shared


def service_account(api, d):
    """What the kubelet mounts at /var/run/secrets/kubernetes.io/serviceaccount: token, ca.crt, namespace."""
    with open(api.pki["ca"]) as f:
        ca = f.read()
    return materialize({"data": {"token": api.token, "ca.crt": ca, "namespace": "kube-system"}}, d)


def agent_in_container(runner, image_ref, name, then=None, api=None):
    """The agent in the image, as the DaemonSet runs it, reports a host
    process's exec. With api (a stand-in API server): its in-cluster
    configuration as a pod has it (the service account's files, the
    KUBERNETES_SERVICE_* variables); else enable-k8s-api is turned off.
    Overrides on its command line: free metrics and health ports (host
    network), and a denylist without upstream's namespace "" (that drops
    every process outside a pod, like this test's)."""
    d = os.path.join(TMP, name)
    confdir = materialize(objects()["ConfigMap"], os.path.join(d, "conf"))
    rundir, logdir = os.path.join(d, "run"), os.path.join(d, "log")
    os.makedirs(rundir)
    os.makedirs(logdir)
    flags, args = run_args(confdir, rundir, logdir)
    if api:
        flags += ["-v", "%s:/var/run/secrets/kubernetes.io/serviceaccount:ro" % service_account(
            api, os.path.join(d, "sa")), "-e", "KUBERNETES_SERVICE_HOST=127.0.0.1",
            "-e", "KUBERNETES_SERVICE_PORT=%d" % api.port]
    else:
        args += ["--enable-k8s-api=false"]
    args += ["--metrics-server", "127.0.0.1:%d" % free_port(),
             "--health-server-address", "127.0.0.1:%d" % free_port(),
             "--export-denylist", '{"health_check":true}']
    while True:
        r = runner("run", "-d", "--name", name, *flags, image_ref, *args, check=False)
        err = (r.stderr or b"").decode(errors="replace")
        # Debian 12's Docker predates CAP_BPF and CAP_PERFMON (CAP_SYS_ADMIN covers them there)
        m = re.search(r'unknown capability: "CAP_(\w+)"', err)
        if r.returncode and m and "--cap-add=" + m.group(1) in flags:
            flags.remove("--cap-add=" + m.group(1))
            runner("rm", "-f", name, check=False)
            continue
        assert r.returncode == 0, err
        break
    try:
        export = os.path.join(logdir, "tetragon.log")
        deadline = time.time() + 60
        while not os.path.exists(os.path.join(rundir, "tetragon.sock")):
            state = runner("inspect", "-f", "{{.State.Status}}", name).strip()
            assert state == "running" and time.time() < deadline, (state, runner("logs", name, check=False))
            time.sleep(0.2)
        marker = "tg-deploy-%s" % uuid.uuid4().hex[:8]
        deadline = time.time() + 30
        while True:
            subprocess.run(["/bin/sh", "-c", "exit 0", marker], check=True)
            evs = []
            if os.path.exists(export):
                with open(export) as f:
                    evs = [json.loads(x) for x in f if marker in x]
            ex = [e for e in evs if "process_exec" in e]
            if ex:
                break
            assert time.time() < deadline, runner("logs", name, check=False)
            time.sleep(0.5)
        p = ex[0]["process_exec"]["process"]
        assert p["binary"] == "/bin/sh" or p["binary"].endswith("/sh"), p
        assert marker in p["arguments"], p
        assert ex[0]["node_name"] == "tg-deploy-node", ex[0]
        # tetra in the image finds the agent as `kubectl exec ds/tetragon -- tetra ...` would:
        # through the info file in the mounted /var/run/tetragon
        status = runner("exec", name, "/usr/bin/tetra", "status", check=False)
        assert status.returncode == 0, status
        if then:
            then(export)
    finally:
        runner("stop", "-t", "10", name, check=False)
        logs = runner("logs", name, check=False)
        runner("rm", "-f", name, check=False)
    out = logs if isinstance(logs, str) else (logs.stdout + logs.stderr).decode(errors="replace")
    assert "tetragon running" in out, out


def runtimes():
    require_root()
    missing = ce.missing_packages()
    if missing and not ce.install_packages(missing):
        raise Skip("container runtimes missing and not installable here: " + " ".join(missing))


def test_image_in_podman():
    runtimes()
    img = build_image()
    os.makedirs(os.path.join(TMP, "podman"))
    p = ce.Podman(os.path.join(TMP, "podman"))

    def runner(*a, check=True):
        return p.podman(*a, check=check, timeout=180)
    out = p.podman("load", "-i", img["oci"])
    assert img["tag"] in out, out
    os.makedirs(os.path.join(TMP, "busybox"))
    p.podman("load", "-i", ce.build_images(os.path.join(TMP, "busybox"))[ce.IMAGE][0])
    cid = p.podman("run", "-d", "--name", "tg-deploy-bb", "--network", "host", "--ulimit", "nofile=1024:1024",
                   "--ulimit", "nproc=1024:1024", ce.IMAGE, "sleep", "100000").strip()
    # the pod the stand-in API server says that container is in, on this node
    from kube_apiserver import KubeAPIServer, pod
    os.makedirs(os.path.join(TMP, "api"), exist_ok=True)
    api = KubeAPIServer(os.path.join(TMP, "api"))
    api.put("/api/v1/pods", pod("web-0", namespace="shop", node="tg-deploy-node", labels={"app": "web"},
                                containers=[{"name": "app", "image": ce.IMAGE, "id": "containerd://" + cid}]))

    def container_exec(export):
        """A process in another container: the agent in its own container
        names that container (cgroup and hostPID seen through the mounts)
        and, through the API server it reached as a pod does, its pod."""
        api.wait_requests("/api/v1/pods", 1, watch=True)
        marker = "tg-deploy-ctr-%s" % uuid.uuid4().hex[:8]
        deadline = time.time() + 30
        while True:
            p.podman("exec", "tg-deploy-bb", "/bin/echo", marker)
            with open(export) as f:
                ex = [e for e in (json.loads(x) for x in f if marker in x)
                      if e.get("process_exec", {}).get("process", {}).get("binary") == "/bin/echo"]
            if ex:
                break
            assert time.time() < deadline, "no exec event of %s" % marker
            time.sleep(0.5)
        pr = ex[0]["process_exec"]["process"]
        assert pr.get("docker") == cid[:31], ex[0]
        assert (pr["pod"]["namespace"], pr["pod"]["name"], pr["pod"]["container"]["name"],
                pr["pod"]["pod_labels"]) == ("shop", "web-0", "app", {"app": "web"}), pr["pod"]
        # and its sleep, found in /proc at the agent's start
        with open(export) as f:
            init = [e for e in map(json.loads, f) if e.get("process_exec", {}).get("process", {}).get("docker")
                    == cid[:31] and "procFS" in e["process_exec"]["process"]["flags"]]
        assert init and init[0]["process_exec"]["process"]["arguments"] == "100000", init
    try:
        agent_in_container(runner, img["tag"], "tg-deploy-podman", then=container_exec, api=api)
        # its service account's requests, as test_configmap_starts_the_agent_rbac_covers_its_requests checks
        assert api.requests and all(r["headers"].get("Authorization") == "Bearer " + api.token
                                    for r in api.requests)
    finally:
        p.podman("rm", "-f", "-t", "0", "tg-deploy-bb", check=False)
        api.close()


def test_image_in_docker():
    runtimes()
    img = build_image()
    d = os.path.join(TMP, "docker")
    os.makedirs(os.path.join(d, "containerd"))
    os.makedirs(os.path.join(d, "dockerd"))
    c = dk = None
    try:
        c = ce.Containerd(os.path.join(d, "containerd"))
        dk = ce.Dockerd(os.path.join(d, "dockerd"), c.sock)
        out = dk.docker("load", "-i", img["docker"])
        assert img["tag"] in out, out

        def runner(*a, check=True):
            return dk.docker(*a, check=check, timeout=180)
        agent_in_container(runner, img["tag"], "tg-deploy-docker")
    finally:
        if dk:
            dk.stop()
        if c:
            c.stop()


def cleanup():
    """The runtimes' mounts under our directory (overlays, shm, dockerd's netns), deepest first;
    the cgroup parents they leave in every hierarchy."""
    for _ in range(5):     # again: conmon's exit command (podman cleanup) may mount storage after
        with open("/proc/self/mountinfo") as f:
            mps = [m for m in (line.split()[4] for line in f) if m.startswith(TMP + "/")]
        if not mps:
            break
        for mp in sorted(mps, key=len, reverse=True):
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    if not os.environ.get("TG_KEEP_TEST_DIRS"):
        shutil.rmtree(TMP, ignore_errors=True)
    for top in ("docker", "libpod_parent"):
        for h in os.listdir("/sys/fs/cgroup"):
            base = os.path.join("/sys/fs/cgroup", h, top)
            for dirpath, _, _ in sorted(os.walk(base), key=lambda w: len(w[0]), reverse=True):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass


if __name__ == "__main__":
    try:
        rc = run_tests([test_manifests_are_kubernetes_objects, test_daemonset_pod_spec,
                        test_configmap_starts_the_agent_rbac_covers_its_requests,
                        test_helm_chart_values_and_configmap, test_grpc_tls_from_a_secret, test_oci_archive_layout,
                        test_image_in_podman, test_image_in_docker])
    finally:
        cleanup()
    sys.exit(rc)
