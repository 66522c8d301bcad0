#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Container identity: process.docker and pod of commands run in real
containers (Docker, plain containerd, a CRI pod through containerd's CRI
plugin, Podman), exec'd into them, or moved into one with nsenter and a
cgroup write; and a runtime that is slow, then answers (a stand-in Docker
API): events are held for a bounded time, the metadata comes later, every
outcome is counted.

The runtimes are Debian's (containerd, docker.io, podman, runc); when they
are missing the suite installs them, and skips with the reason when it
cannot."""

import http.server
import json
import os
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import containers_env as ce  # noqa: E402
from harness import (ROOT, BUILD, Agent, Skip, require_root, run_tests, free_port, scrape_metrics,  # noqa: E402
                     find_metric as metric)

CRI_CLIENT = os.path.join(ROOT, BUILD, "tests", "cri_client")
POD_UID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
CTR_ID = "c0ffee00" * 8

env = {}          # runtimes, started once for the suite
agent = None
work = None


def v2_mount():
    """Where cgroup2 is mounted (hybrid: /sys/fs/cgroup/unified)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            if post.split()[0] == "cgroup2":
                return pre.split()[4]
    return None


def parse_ts(s):
    """RFC 3339 with up to 9 fractional digits -> ns since the epoch."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", s)
    assert m, s
    sec = int(time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))) - time.timezone
    return sec * 10**9 + int((m.group(2) or "0").ljust(9, "0")[:9])


def exec_of(binary, marker):
    def pred(ev):
        p = ev.get("process_exec", {}).get("process")
        return p is not None and p.get("binary") == binary and marker in p.get("arguments", "")
    return pred


def cri(*args, check=True):
    r = subprocess.run([CRI_CLIENT, env["containerd"].sock] + list(args), capture_output=True, timeout=120,
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    if check and r.returncode:
        raise AssertionError("cri_client %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout.decode().strip()


def setup():
    """Runtimes, images and containers, then one agent that sees them all."""
    global agent, work
    require_root()
    if not v2_mount():
        raise Skip("no cgroup2 mount on this host")
    missing = ce.missing_packages()
    if missing and not ce.install_packages(missing):
        raise Skip("container runtimes missing and not installable here: " + " ".join(missing))
    if not os.access(CRI_CLIENT, os.X_OK):
        raise Skip("%s not built (make tests)" % CRI_CLIENT)
    work = tempfile.mkdtemp(prefix="tg-ctr-")
    images = ce.build_images(work)
    for sub in ("containerd", "docker", "podman"):
        os.makedirs(os.path.join(work, sub))
    c = env["containerd"] = ce.Containerd(os.path.join(work, "containerd"))
    c.ctr("images", "import", images[ce.IMAGE][0])
    c.ctr("images", "import", images[ce.IMAGE][0], ns="k8s.io")
    c.ctr("images", "import", images[ce.PAUSE_IMAGE][0], ns="k8s.io")
    d = env["docker"] = ce.Dockerd(os.path.join(work, "docker"), c.sock)
    d.docker("load", "-i", images[ce.IMAGE][0])
    env["image_id"] = images[ce.IMAGE][1]
    p = env["podman"] = ce.Podman(os.path.join(work, "podman"))
    p.podman("load", "-i", images[ce.IMAGE][0])
    p.service()

    # containers started before the agent: found in /proc at its start
    env["docker_id"] = d.docker("run", "-d", "--name", "tg-docker", "--network", "none", ce.IMAGE,
                                "sleep", "100000").strip()
    env["metrics"] = free_port()
    agent = Agent("--docker-socket", d.sock, "--containerd-socket", c.sock, "--podman-socket", p.sock,
                  "--metrics-server", "127.0.0.1:%d" % env["metrics"])
    # and after: seen from their first exec
    c.ctr("run", "-d", ce.IMAGE, CTR_ID, "/bin/sleep", "100000")
    env["podman_id"] = p.podman("run", "-d", "--name", "tg-podman", "--network", "host",
                                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
                                ce.IMAGE, "sleep", "100000").strip()
    sb = env["sandbox"] = cri("runp", "web-0", "shop", POD_UID, "app=web", "tier=front")
    cid = env["cri_id"] = cri("create", sb, "nginx", ce.IMAGE, "web-0", "shop", POD_UID, "/bin/sleep", "100000")
    cri("start", cid)


def teardown():
    try:
        if agent:
            agent.stop()
    finally:
        d, c, p = env.get("docker"), env.get("containerd"), env.get("podman")
        if p:
            p.podman("rm", "-f", "-t", "0", "tg-podman", check=False)
            p.stop()
        if d:
            d.docker("rm", "-f", "tg-docker", check=False)
            d.stop()
        if c:
            if env.get("sandbox"):
                cri("stopp", env["sandbox"], check=False)
                cri("rmp", env["sandbox"], check=False)
            c.ctr("task", "kill", "-s", "SIGKILL", CTR_ID, check=False)
            time.sleep(0.5)
            c.ctr("task", "delete", CTR_ID, check=False)
            c.ctr("containers", "delete", CTR_ID, check=False)
            c.stop()
        if work:
            # the runtimes' mounts under our directory (overlays, shm, netns), deepest first
            with open("/proc/self/mountinfo") as f:
                mps = [line.split()[4] for line in f]
            for mp in sorted((m for m in mps if m.startswith(work + "/")), key=len, reverse=True):
                subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
            if not os.environ.get("TG_KEEP_TEST_DIRS"):
                shutil.rmtree(work, True)
        # the parents the runtimes left in every hierarchy (their containers' are gone)
        for top in ("docker", "default", "k8s.io", "kubepods", "libpod_parent"):
            for h in os.listdir("/sys/fs/cgroup"):
                base = os.path.join("/sys/fs/cgroup", h, top)
                for dirpath, _, _ in sorted(os.walk(base), key=lambda w: len(w[0]), reverse=True):
                    try:
                        os.rmdir(dirpath)
                    except OSError:
                        pass


def container_pid(text):
    """The pid a shell printed ($$, in the container's pid namespace)."""
    return int(text.split()[0])


def test_docker_exec():
    """docker exec: docker is upstream's 31 characters, pod.container what
    Docker's API says: docker://<full id>, name, image name and id, start."""
    d = env["docker"]
    cid = env["docker_id"]
    inspect = json.loads(d.docker("inspect", cid))[0]
    out = d.docker("exec", "tg-docker", "sh", "-c", "echo $$; exec /bin/echo docker-exec-marker")
    ev = agent.wait_for(exec_of("/bin/echo", "docker-exec-marker"), what="docker exec event")
    p = ev["process_exec"]["process"]
    assert p["docker"] == cid[:31], p
    pod = p["pod"]
    start = pod["container"].pop("start_time")
    assert parse_ts(start) == parse_ts(inspect["State"]["StartedAt"]), (start, inspect["State"]["StartedAt"])
    assert pod == {"container": {"id": "docker://" + cid, "name": "tg-docker",
                                 "image": {"id": env["image_id"], "name": ce.IMAGE},
                                 "pid": container_pid(out)}}, pod
    # the container's init, seen in /proc at the agent's start: same identity, pid 1
    init = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("docker") == cid[:31]
                          and "procFS" in e["process_exec"]["process"].get("flags", ""), what="procFS init")
    assert init["process_exec"]["process"]["pod"]["container"]["pid"] == 1
    assert init["process_exec"]["process"]["in_init_tree"] is True


def test_containerd_plain():
    """ctr run / ctr task exec: /<namespace>/<id>, containerd's own API."""
    c = env["containerd"]
    c.ctr("task", "exec", "--exec-id", "tg1", CTR_ID, "/bin/echo", "ctr-exec-marker")
    ev = agent.wait_for(exec_of("/bin/echo", "ctr-exec-marker"), what="ctr exec event")
    p = ev["process_exec"]["process"]
    assert p["docker"] == CTR_ID[:31], p
    pod = p["pod"]
    assert "start_time" in pod["container"], pod
    del pod["container"]["start_time"]
    assert pod["container"].pop("pid") > 1
    assert pod == {"container": {"id": "containerd://" + CTR_ID, "image": {"name": ce.IMAGE}}}, pod
    # its init was exec'd under the agent: pid 1 of the container
    init = agent.wait_for(exec_of("/bin/sleep", "100000"), what="ctr init")
    ip = init["process_exec"]["process"]
    assert ip["docker"] == CTR_ID[:31] and ip["pod"]["container"]["pid"] == 1, ip


def test_cri_pod():
    """A pod sandbox and container created through containerd's CRI API, as
    kubelet does: the pod's namespace, name, uid and labels, the container's
    name, from the CRI labels."""
    cid = env["cri_id"]
    out = cri("exec", cid, "sh", "-c", "echo $$; exec /bin/echo cri-exec-marker")
    ev = agent.wait_for(exec_of("/bin/echo", "cri-exec-marker"), what="CRI exec event")
    p = ev["process_exec"]["process"]
    assert p["docker"] == cid[:31], p
    pod = p["pod"]
    assert "start_time" in pod["container"], pod
    del pod["container"]["start_time"]
    assert pod == {"namespace": "shop", "name": "web-0", "uid": POD_UID,
                   "container": {"id": "containerd://" + cid, "name": "nginx", "image": {"name": ce.IMAGE},
                                 "pid": container_pid(out)},
                   "pod_labels": {"app": "web", "tier": "front"}}, pod
    # the sandbox's pause process is a container of its own
    pause = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("binary") == "/pause",
                           what="pause exec")
    pp = pause["process_exec"]["process"]
    assert pp["docker"] == env["sandbox"][:31], pp
    assert pp["pod"]["namespace"] == "shop" and pp["pod"]["name"] == "web-0", pp


def test_podman_exec():
    """podman exec: /libpod_parent/libpod-<id>, Podman's API service."""
    p = env["podman"]
    pid_out = p.podman("exec", "tg-podman", "sh", "-c", "echo $$; exec /bin/echo podman-exec-marker")
    ev = agent.wait_for(exec_of("/bin/echo", "podman-exec-marker"), what="podman exec event")
    proc = ev["process_exec"]["process"]
    pid = env["podman_id"]
    assert proc["docker"] == pid[:31], proc
    pod = proc["pod"]
    assert "start_time" in pod["container"], pod
    del pod["container"]["start_time"]
    assert pod == {"container": {"id": "podman://" + pid, "name": "tg-podman",
                                 "image": {"id": env["image_id"], "name": ce.IMAGE},
                                 "pid": container_pid(pid_out)}}, pod


def test_nsenter_cgroup_move():
    """A host process that moves itself into a container's cgroup and
    enters its namespaces gets the container's identity at its next exec."""
    d = env["docker"]
    cid = env["docker_id"]
    init_pid = json.loads(d.docker("inspect", cid))[0]["State"]["Pid"]
    procs = os.path.join(v2_mount(), "docker", cid, "cgroup.procs")
    # "(exit 7)": a fork that never execs, in the cgroup its parent moved to after its exec
    sh = subprocess.Popen(["sh", "-c", "echo $$ > %s && (exit 7); exec nsenter -t %d -m -u -i -p -n "
                           "/bin/echo nsenter-marker" % (procs, init_pid)], stdout=subprocess.PIPE)
    sh.communicate()
    assert sh.returncode == 0
    ev = agent.wait_for(exec_of("/bin/echo", "nsenter-marker"), what="nsenter exec event")
    p = ev["process_exec"]["process"]
    assert p["docker"] == cid[:31], p
    assert p["pod"]["container"]["name"] == "tg-docker", p
    shx = agent.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("pid") == sh.pid and
                         e["process_exec"]["process"]["binary"].endswith("/sh"), what="the shell's exec")
    fork = agent.wait_for(lambda e: e.get("process_exit", {}).get("status") == 7 and
                          e["process_exit"]["process"].get("parent_exec_id") ==
                          shx["process_exec"]["process"]["exec_id"], what="the fork's exit")
    assert "clone" in fork["process_exit"]["process"]["flags"], fork
    assert fork["process_exit"]["process"]["docker"] == cid[:31], fork
    # the nsenter itself was exec'd after the move too
    ns = agent.wait_for(exec_of("/usr/bin/nsenter", "nsenter-marker"), what="nsenter itself")
    assert ns["process_exec"]["process"]["docker"] == cid[:31]


def test_metrics_counted():
    """Lookups by runtime and result, and what the event hold did."""
    time.sleep(1.2)	# the page is rendered every second
    m = scrape_metrics(env["metrics"])
    for rt in ("docker", "containerd", "podman"):
        v = metric(m, "tetragon_container_runtime_requests_total", runtime=rt, result="ok")
        assert v and v >= 1, (rt, v)
    assert metric(m, "tetragon_event_cache_inserts_total") >= 1
    assert metric(m, "tetragon_containers") >= 4


class FakeDocker:
    """A stand-in Docker API on a unix socket: slow, then answering."""

    def __init__(self, path, cid):
        self.mode = "hang"
        self.release = threading.Event()
        self.hits = 0
        fake = self

        class H(http.server.BaseHTTPRequestHandler):
            def address_string(self):
                return "unix"

            def log_message(self, *a):
                pass

            def do_GET(self):
                fake.hits += 1
                if self.path != "/containers/%s/json" % cid:
                    self.send_error(404)
                    return
                if fake.mode == "hang":
                    fake.release.wait(30)
                    return
                body = json.dumps({"Id": cid, "Name": "/late-box", "Image": "sha256:" + "1" * 64,
                                   "State": {"StartedAt": "2024-05-01T10:20:30.123456789Z"},
                                   "Config": {"Image": "late/image:2", "Labels": {"k": "v"}}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        self.srv = S(path, H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.release.set()
        self.srv.shutdown()
        self.srv.server_close()


def test_runtime_slow_then_late():
    """A Docker API that does not answer: a container's first events wait
    at most twice --container-runtime-timeout, then go without pod (counted
    as fetch failures); the lookup is retried and what comes late fills in
    the events after. No API at all: nothing waits."""
    cid = "feed" * 16
    d = tempfile.mkdtemp(prefix="tg-fake-")
    cg = os.path.join(v2_mount(), "docker", cid)
    os.makedirs(cg, exist_ok=True)
    sock = os.path.join(d, "docker.sock")
    fake = FakeDocker(sock, cid)
    port = free_port()
    a = Agent("--docker-socket", sock, "--containerd-socket", "", "--podman-socket", "",
              "--container-runtime-timeout", "400ms", "--event-cache-retries", "3",
              "--event-cache-retry-delay", "1", "--metrics-server", "127.0.0.1:%d" % port)
    init = None
    try:
        run = "echo $$ > %s/cgroup.procs && exec /bin/echo %s" % (cg, "%s")
        # the container's long-running init: its exec starts the lookup, which hangs
        t0 = time.time()
        init = subprocess.Popen(["sh", "-c", "echo $$ > %s/cgroup.procs && exec sleep 60" % cg])
        ev = a.wait_for(lambda e: e.get("process_exec", {}).get("process", {}).get("pid") == init.pid
                        and e["process_exec"]["process"]["binary"].endswith("/sleep"), timeout=10,
                        what="held event")
        waited = time.time() - t0
        p = ev["process_exec"]["process"]
        assert p["docker"] == cid[:31] and "pod" not in p, p
        # held for the lookup, but not for long: 2 x 400ms and the loop's polling
        assert waited < 2.5, waited
        # the runtime answers now: the retry (1s after the failure) brings the metadata
        fake.mode = "ok"
        fake.release.set()
        deadline = time.time() + 15
        while True:
            subprocess.run(["sh", "-c", run % "late-marker"], check=True, capture_output=True)
            ev = a.wait_for(lambda e, n=len(a.events): e in a.events[n:] and exec_of("/bin/echo", "late-marker")(e),
                            timeout=10, what="later event")
            if "pod" in ev["process_exec"]["process"] or time.time() > deadline:
                break
            time.sleep(0.3)
        pod = ev["process_exec"]["process"]["pod"]
        assert pod == {"container": {"id": "docker://" + cid, "name": "late-box",
                                     "image": {"id": "sha256:" + "1" * 64, "name": "late/image:2"},
                                     "start_time": "2024-05-01T10:20:30.123456789Z", "pid": pod["container"]["pid"]}}, pod
        # the page is rendered every second: wait for the one that shows the answer
        deadline = time.time() + 10
        while True:
            m = scrape_metrics(port)
            if metric(m, "tetragon_container_runtime_requests_total", runtime="docker", result="ok") or \
                    time.time() > deadline:
                break
            time.sleep(0.2)
        assert metric(m, "tetragon_container_runtime_requests_total", runtime="docker", result="timeout") >= 1, m
        assert metric(m, "tetragon_container_runtime_requests_total", runtime="docker", result="ok") == 1, m
        assert metric(m, "tetragon_event_cache_fetch_failures_total", entry_type="pod_info",
                      event_type="PROCESS_EXEC") >= 1, m
        assert metric(m, "tetragon_event_cache_fetch_retries_total", entry_type="pod_info") >= 1, m
    finally:
        if init:
            init.kill()
            init.wait()
        a.stop()
        fake.stop()
        try:
            os.rmdir(cg)
        except OSError:
            pass
        shutil.rmtree(d, True)
    # a runtime that is down (its socket left behind, nobody listening): nothing waits,
    # though a lookup could (a 5 s timeout would hold it 10 s)
    cid2 = "beef" * 16
    cg2 = os.path.join(v2_mount(), "docker", cid2)
    os.makedirs(cg2, exist_ok=True)
    d2 = tempfile.mkdtemp(prefix="tg-fake-")
    stale = os.path.join(d2, "docker.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()
    a = Agent("--docker-socket", stale, "--containerd-socket", "", "--podman-socket", "",
              "--container-runtime-timeout", "5s")
    try:
        t0 = time.time()
        subprocess.run(["sh", "-c", "echo $$ > %s/cgroup.procs && exec /bin/echo down-marker" % cg2], check=True,
                       capture_output=True)
        ev = a.wait_for(exec_of("/bin/echo", "down-marker"), timeout=10, what="event with the runtime down")
        assert time.time() - t0 < 3, time.time() - t0
        assert ev["process_exec"]["process"]["docker"] == cid2[:31]
        assert "pod" not in ev["process_exec"]["process"]
    finally:
        a.stop()
        shutil.rmtree(d2, True)
        try:
            os.rmdir(cg2)
        except OSError:
            pass


if __name__ == "__main__":
    t_start = time.time()
    try:
        setup()
    except Skip as e:
        print("SKIP containers: %s" % e)
        print("integration: 0 passed, 0 failed, 1 skipped")
        teardown()
        sys.exit(0)
    except Exception:
        teardown()
        raise
    try:
        rc = run_tests([test_docker_exec, test_containerd_plain, test_cri_pod, test_podman_exec,
                        test_nsenter_cgroup_move, test_metrics_counted, test_runtime_slow_then_late])
    finally:
        teardown()
    print("containers suite: %.0fs" % (time.time() - t_start), file=sys.stderr)
    sys.exit(rc)
