# SPDX-License-Identifier: Apache-2.0
"""A stand-in Kubernetes API server for the agent's Kubernetes client tests.

No kube-apiserver can be installed here, so this serves the few requests
the agent makes as the API server serves them (API conventions of
kube-apiserver 1.2x, JSON only):

- HTTPS with a certificate from a CA made with openssl for the test, every
  request checked for "Authorization: Bearer <token>" (401 and a Status
  object otherwise);
- list: GET /api/v1/pods, /apis/cilium.io/v1alpha1/tracingpolicies,
  .../tracingpoliciesnamespaced with fieldSelector (spec.nodeName=NAME,
  pods only), limit and continue; a PodList/TracingPolicyList of the
  objects (list items of built-in kinds without kind/apiVersion, custom
  resources with them) and metadata.resourceVersion; a continue token from
  before a compaction is 410 Gone with a Status object;
- watch: the same path with watch=true, resourceVersion, allowWatchBookmarks
  and timeoutSeconds; a chunked application/json response of
  {"type": ..., "object": ...} events after that resourceVersion, one JSON
  object per line, BOOKMARK events when asked, ERROR with a 410 Status
  when the resourceVersion is older than the last compaction, and the end
  of the response (terminating chunk) after timeoutSeconds;
- resourceVersions: one counter for all objects, an object's
  metadata.resourceVersion its last change, generation bumped when a custom
  resource's spec changes (not for metadata changes), uid per object.

Test knobs: drop_watches() closes every watch connection without the
terminating chunk (a dead connection), expire_watches() sends the 410
ERROR event, compact() forgets the history, inject() writes raw bytes into
the watch streams (bad JSON, huge objects), bookmark() sends bookmarks.
Every request is recorded (path, query, headers) so tests can assert what
the client asked for.
"""

import base64
import copy
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

RESOURCES = {
    "/api/v1/pods": ("Pod", "v1", "PodList", True, False),
    "/apis/cilium.io/v1alpha1/tracingpolicies": ("TracingPolicy", "cilium.io/v1alpha1", "TracingPolicyList",
                                                 False, True),
    "/apis/cilium.io/v1alpha1/tracingpoliciesnamespaced": (
        "TracingPolicyNamespaced", "cilium.io/v1alpha1", "TracingPolicyNamespacedList", True, True),
}
KNOWN_PARAMS = {"fieldSelector", "labelSelector", "limit", "continue", "watch", "resourceVersion",
                "resourceVersionMatch", "allowWatchBookmarks", "timeoutSeconds", "sendInitialEvents"}


def make_pki(d):
    """A CA and a server certificate for 127.0.0.1/localhost it signs, and a client certificate."""
    def run(*a):
        subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
        "-days", "2", "-subj", "/CN=test-kubernetes-ca")
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, cn in (("server", "kube-apiserver"), ("client", "tetragon")):
        key, csr, crt = (os.path.join(d, name + s) for s in (".key", ".csr", ".crt"))
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=" + cn)
        run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
            "-days", "2", "-extfile", ext)
    return {"ca": ca, "ca_key": ca_key, "cert": os.path.join(d, "server.crt"), "key": os.path.join(d, "server.key"),
            "client_cert": os.path.join(d, "client.crt"), "client_key": os.path.join(d, "client.key")}


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


class Watch:
    def __init__(self, handler):
        self.handler = handler
        self.raw = []           # bytes to inject
        self.drop = False
        self.expire = False


class KubeAPIServer:
    def __init__(self, tmpdir, token="test-token", node="tg-test-node"):
        self.dir = tmpdir
        self.token = token
        self.node = node
        self.pki = make_pki(tmpdir)
        self.lock = threading.Condition()
        self.rv = 100
        self.compacted = 0
        self.objects = {p: {} for p in RESOURCES}      # path -> key -> object
        self.history = []                              # (rv, path, type, object)
        self.requests = []
        self.bad_requests = []
        self.errors = []
        self.watches = []
        self.watch_timeout_cap = 600
        self.list_status = None                        # (code, reason) to answer lists with
        srv = self

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # connections the agent closed or reset (its shutdown, dropped watches): kept, not printed
                with srv.lock:
                    srv.errors.append(repr(sys.exc_info()[1]))

        httpd = Server(("127.0.0.1", 0), self._handler_class())
        httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.pki["cert"], self.pki["key"])
        ctx.load_verify_locations(self.pki["ca"])
        ctx.verify_mode = ssl.CERT_OPTIONAL
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        self.httpd = httpd
        self.port = httpd.server_address[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.drop_watches()
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---- configuration files for the agent ------------------------------------------------

    def kubeconfig(self, token=None, client_cert=False, ca_inline=True):
        """A kubeconfig for this server (YAML), written next to the PKI files."""
        user = {}
        if client_cert:
            user["client-certificate"] = self.pki["client_cert"]
            user["client-key"] = self.pki["client_key"]
        else:
            user["token"] = token if token is not None else self.token
        cluster = {"server": self.url}
        if ca_inline:
            with open(self.pki["ca"], "rb") as f:
                cluster["certificate-authority-data"] = base64.b64encode(f.read()).decode()
        else:
            cluster["certificate-authority"] = self.pki["ca"]
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "test",
               "clusters": [{"name": "test-cluster", "cluster": cluster}],
               "users": [{"name": "test-user", "user": user}],
               "contexts": [{"name": "test", "context": {"cluster": "test-cluster", "user": "test-user"}}]}
        path = os.path.join(self.dir, "kubeconfig-%s" % uuid.uuid4().hex[:8])
        with open(path, "w") as f:
            json.dump(cfg, f)          # JSON is YAML
        return path

    # ---- objects ----------------------------------------------------------------------------

    def _bump(self):
        self.rv += 1
        return str(self.rv)

    def _key(self, obj):
        md = obj["metadata"]
        return (md.get("namespace", ""), md["name"])

    def put(self, path, obj):
        """Create or replace an object as the API server stores it; returns the stored copy."""
        with self.lock:
            obj = copy.deepcopy(obj)
            kind, api, _, namespaced, custom = RESOURCES[path]
            obj["kind"], obj["apiVersion"] = kind, api
            md = obj.setdefault("metadata", {})
            key = self._key(obj)
            old = self.objects[path].get(key)
            if old:
                md["uid"] = old["metadata"]["uid"]
                md["creationTimestamp"] = old["metadata"]["creationTimestamp"]
                gen = old["metadata"].get("generation", 1)
                if custom and obj.get("spec") != old.get("spec"):
                    gen += 1
                typ = "MODIFIED"
            else:
                md.setdefault("uid", str(uuid.uuid4()))
                md["creationTimestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                gen = 1
                typ = "ADDED"
            if custom:
                md["generation"] = gen
            md["resourceVersion"] = self._bump()
            self.objects[path][key] = obj
            self.history.append((self.rv, path, typ, copy.deepcopy(obj)))
            self.lock.notify_all()
            return copy.deepcopy(obj)

    def delete(self, path, namespace, name):
        with self.lock:
            obj = self.objects[path].pop((namespace, name))
            obj["metadata"]["resourceVersion"] = self._bump()
            self.history.append((self.rv, path, "DELETED", copy.deepcopy(obj)))
            self.lock.notify_all()

    def compact(self):
        """Forget the history so far: older resourceVersions are 410 Gone."""
        with self.lock:
            self.compacted = self.rv
            self.history = []

    # ---- watch knobs ------------------------------------------------------------------------

    def _each_watch(self, fn):
        with self.lock:
            for w in self.watches:
                fn(w)
            self.lock.notify_all()

    def drop_watches(self):
        self._each_watch(lambda w: setattr(w, "drop", True))

    def expire_watches(self):
        self._each_watch(lambda w: setattr(w, "expire", True))

    def inject(self, data):
        self._each_watch(lambda w: w.raw.append(data))

    def bookmark(self):
        with self.lock:
            self._bump()
        self.inject(None)       # None: a bookmark at the current resourceVersion

    def watch_count(self):
        with self.lock:
            return len(self.watches)

    def wait_watches(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.watch_count() >= n:
                return
            time.sleep(0.02)
        raise AssertionError("no watch connection from the agent")

    def requests_for(self, path, watch=None):
        with self.lock:
            out = []
            for r in self.requests:
                if r["path"] != path:
                    continue
                if watch is not None and (r["query"].get("watch") == "true") != watch:
                    continue
                out.append(r)
            return out

    def wait_requests(self, path, n, watch=None, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.requests_for(path, watch)
            if len(got) >= n:
                return got
            time.sleep(0.02)
        raise AssertionError("expected %d %s requests for %s, got %d" % (
            n, "watch" if watch else "list" if watch is False else "", path, len(self.requests_for(path, watch))))

    # ---- serving ------------------------------------------------------------------------------

    def _handler_class(self):
        srv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def log_error(self, fmt, *a):
                # a request the server could not parse: what the client sent is what a test wants to see
                with srv.lock:
                    srv.bad_requests.append((fmt % a, self.raw_requestline[:200]))

            def send_json(self, code, obj):
                body = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                try:
                    q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True, strict_parsing=bool(u.query)))
                except ValueError:
                    return self.send_json(400, status(400, "BadRequest", "malformed query"))
                with srv.lock:
                    srv.requests.append({"path": u.path, "query": q, "headers": dict(self.headers),
                                         "client_cert": self.connection.getpeercert() is not None})
                auth = self.headers.get("Authorization")
                cert = self.connection.getpeercert()
                if auth != "Bearer " + srv.token and not (auth is None and cert):
                    return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
                if u.path not in RESOURCES:
                    return self.send_json(404, status(404, "NotFound", "the server could not find the requested "
                                                                   "resource"))
                if set(q) - KNOWN_PARAMS:
                    return self.send_json(400, status(400, "BadRequest", "unknown parameters %s" % (set(q) - KNOWN_PARAMS)))
                sel = q.get("fieldSelector")
                node = None
                if sel:
                    if u.path != "/api/v1/pods" or not sel.startswith("spec.nodeName="):
                        return self.send_json(400, status(400, "BadRequest", "field label not supported: " + sel))
                    node = sel[len("spec.nodeName="):]
                if q.get("watch") in ("true", "1"):
                    return self.watch(u.path, q, node)
                return self.list(u.path, q, node)

            def matches(self, obj, node):
                return node is None or obj.get("spec", {}).get("nodeName") == node

            def list(self, path, q, node):
                kind, api, list_kind, _, custom = RESOURCES[path]
                if srv.list_status:
                    code, reason = srv.list_status
                    return self.send_json(code, status(code, reason, "injected list error"))
                try:
                    limit = int(q.get("limit", "0"))
                except ValueError:
                    return self.send_json(400, status(400, "BadRequest", "limit: not a number"))
                with srv.lock:
                    start = 0
                    rv = str(srv.rv)
                    if q.get("continue"):
                        try:
                            c = json.loads(base64.b64decode(q["continue"]))
                        except ValueError:
                            return self.send_json(400, status(400, "BadRequest", "continue: malformed"))
                        if int(c["rv"]) <= srv.compacted:
                            return self.send_json(410, status(410, "Expired", "The provided continue parameter is "
                                                                             "too old"))
                        start, rv = c["start"], c["rv"]
                    objs = sorted((o for o in srv.objects[path].values() if self.matches(o, node)),
                                  key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
                    items = objs[start:start + limit] if limit else objs[start:]
                    md = {"resourceVersion": rv}
                    if limit and start + limit < len(objs):
                        md["continue"] = base64.b64encode(json.dumps(
                            {"start": start + limit, "rv": rv}).encode()).decode()
                    out = []
                    for o in items:
                        o = copy.deepcopy(o)
                        if not custom:          # built-in kinds' list items have no kind/apiVersion
                            o.pop("kind", None)
                            o.pop("apiVersion", None)
                        out.append(o)
                self.send_json(200, {"kind": list_kind, "apiVersion": api, "metadata": md, "items": out})

            def chunk(self, data):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def watch(self, path, q, node):
                kind, api, _, _, _ = RESOURCES[path]
                try:
                    since = int(q.get("resourceVersion") or "0")
                    timeout = min(int(q.get("timeoutSeconds", "1800")), srv.watch_timeout_cap)
                except ValueError:
                    return self.send_json(400, status(400, "BadRequest", "resourceVersion: not a number"))
                bookmarks = q.get("allowWatchBookmarks") == "true"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                w = Watch(self)
                deadline = time.time() + timeout
                with srv.lock:
                    srv.watches.append(w)
                try:
                    with srv.lock:
                        if since and since < srv.compacted:
                            w.expire = True
                    while True:
                        with srv.lock:
                            if w.drop:
                                # a dead connection: no terminating chunk
                                self.close_connection = True
                                self.connection.shutdown(socket.SHUT_RDWR)
                                return
                            out = []
                            if w.expire:
                                out.append({"type": "ERROR", "object": status(
                                    410, "Expired", "too old resource version: %d (%d)" % (since, srv.compacted))})
                            else:
                                for (rv, p, typ, obj) in srv.history:
                                    if p == path and rv > since and self.matches(obj, node):
                                        out.append({"type": typ, "object": obj})
                                if srv.history:
                                    since = max(since, srv.history[-1][0])
                            raw, w.raw = w.raw, []
                            if not out and not raw and not w.expire and time.time() < deadline:
                                srv.lock.wait(max(0.0, min(1.0, deadline - time.time())))
                                continue
                        for ev in out:
                            self.chunk(json.dumps(ev).encode() + b"\n")
                        for r in raw:
                            if r is None:
                                if bookmarks:
                                    with srv.lock:
                                        since = srv.rv
                                    self.chunk(json.dumps({"type": "BOOKMARK", "object": {
                                        "kind": kind, "apiVersion": api,
                                        "metadata": {"resourceVersion": str(since)}}}).encode() + b"\n")
                            else:
                                self.chunk(r)
                        if w.expire or time.time() >= deadline:
                            self.wfile.write(b"0\r\n\r\n")
                            self.wfile.flush()
                            self.close_connection = True
                            return
                except (BrokenPipeError, ConnectionResetError, OSError):
                    return
                finally:
                    with srv.lock:
                        srv.watches.remove(w)

        return Handler


def pod(name, uid=None, namespace="default", node="tg-test-node", containers=(), labels=None, annotations=None,
        owner=None, generate_name=None, probes=None):
    """A Pod as the API server returns it (the fields the agent reads and a few it does not)."""
    md = {"name": name, "namespace": namespace, "labels": labels or {}, "annotations": annotations or {}}
    if uid:
        md["uid"] = uid
    if generate_name:
        md["generateName"] = generate_name
    if owner:
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": str(uuid.uuid4()),
                                  "controller": True, "blockOwnerDeletion": True}]
    spec_containers, statuses = [], []
    for c in containers:
        sc = {"name": c["name"], "image": c["image"], "imagePullPolicy": "IfNotPresent",
              "resources": {}, "terminationMessagePath": "/dev/termination-log"}
        if c.get("privileged") is not None:
            sc["securityContext"] = {"privileged": c["privileged"]}
        if c.get("liveness"):
            sc["livenessProbe"] = {"exec": {"command": c["liveness"]}, "periodSeconds": 10}
        spec_containers.append(sc)
        statuses.append({"name": c["name"], "state": {"running": {"startedAt": c.get("started", "2024-05-01T10:00:00Z")}},
                         "lastState": {}, "ready": True, "restartCount": 0, "image": c["image"],
                         "imageID": c.get("image_id", ""), "containerID": c["id"], "started": True})
    return {"metadata": md,
            "spec": {"nodeName": node, "containers": spec_containers, "restartPolicy": "Always",
                     "serviceAccountName": "default"},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "containerStatuses": statuses,
                       "qosClass": "BestEffort"}}
