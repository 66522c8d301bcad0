# SPDX-License-Identifier: Apache-2.0
"""Real container runtimes for the tests, from Debian's packages, offline:
containerd (with its CRI plugin), Docker (dockerd on that containerd) and
Podman, each with its own state under a temporary directory, runc as the
OCI runtime (crun refuses hybrid cgroups), cgroupfs cgroups (no systemd
here), and images built locally: a busybox rootfs and a static pause
binary packed as docker archives, which every runtime imports."""

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time

BUSYBOX = "/bin/busybox"
IMAGE = "tg.local/busybox:1"
PAUSE_IMAGE = "tg.local/pause:1"
APPLETS = ["sh", "echo", "sleep", "true", "cat", "ls", "id", "env", "nsenter"]

PAUSE_C = r"""
#include <signal.h>
#include <unistd.h>
static void bye(int s) { (void)s; _exit(0); }
int main(void) {
    signal(SIGTERM, bye);
    signal(SIGINT, bye);
    for (;;) pause();
}
"""


class Unavailable(Exception):
    """A runtime cannot run here; the message says why."""


def which(name, paths=("/usr/sbin", "/usr/bin", "/sbin", "/bin")):
    for d in paths:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return None


def missing_packages():
    """Debian packages the suite needs that are not installed."""
    need = {"containerd": "containerd", "containerd-shim-runc-v2": "containerd", "runc": "runc",
            "dockerd": "docker.io", "podman": "podman", "conmon": "conmon"}
    out = []
    for binary, pkg in need.items():
        if not which(binary, ("/usr/sbin", "/usr/bin", "/usr/libexec/podman")) and pkg not in out:
            out.append(pkg)
    if not os.access(BUSYBOX, os.X_OK):
        out.append("busybox-static")
    return out


def install_packages(pkgs):
    """apt-get install, as scripts/install-deps.sh would; False when it cannot."""
    if not pkgs:
        return True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + pkgs,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600,
                       check=True)
    except (subprocess.SubprocessError, OSError):
        try:
            subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=300, check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + pkgs,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=900, check=True)
        except (subprocess.SubprocessError, OSError):
            return False
    return not missing_packages()


def _add(tar, name, data=None, mode=0o755, link=None, kind=None):
    ti = tarfile.TarInfo(name)
    ti.mtime = 0
    ti.uid = ti.gid = 0
    if kind == "dir":
        ti.type = tarfile.DIRTYPE
        ti.mode = mode
        tar.addfile(ti)
    elif link is not None:
        ti.type = tarfile.SYMTYPE
        ti.linkname = link
        ti.mode = 0o777
        tar.addfile(ti)
    else:
        ti.size = len(data)
        ti.mode = mode
        tar.addfile(ti, io.BytesIO(data))


def _archive(path, tag, files, cmd):
    """A docker archive (docker save's layout) of one layer."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as t:
        for d in ("bin", "tmp", "proc", "sys", "dev", "etc", "root"):
            _add(t, d, kind="dir", mode=0o1777 if d == "tmp" else 0o755)
        for name, spec in files:
            if isinstance(spec, str):
                _add(t, name, link=spec)
            else:
                _add(t, name, data=spec)
        _add(t, "etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n", mode=0o644)
        _add(t, "etc/group", data=b"root:x:0:\n", mode=0o644)
    layer_bytes = layer.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = {
        "architecture": "amd64", "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/bin"], "Cmd": cmd, "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "tetragon-c tests"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    layer_dir = hashlib.sha256(layer_bytes).hexdigest()
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": [layer_dir + "/layer.tar"]}]
    with tarfile.open(path, "w") as t:
        _add(t, layer_dir, kind="dir")
        _add(t, layer_dir + "/layer.tar", data=layer_bytes, mode=0o644)
        _add(t, config_name, data=config_bytes, mode=0o644)
        _add(t, "manifest.json", data=json.dumps(manifest).encode(), mode=0o644)
    return "sha256:" + config_name[:-5]


def build_images(d):
    """busybox and pause images as docker archives; returns {tag: (path, image id)}."""
    with open(BUSYBOX, "rb") as f:
        bb = f.read()
    files = [("bin/busybox", bb)] + [("bin/" + a, "busybox") for a in APPLETS]
    out = {}
    p = os.path.join(d, "busybox.tar")
    out[IMAGE] = (p, _archive(p, IMAGE, files, ["/bin/sh"]))
    src = os.path.join(d, "pause.c")
    with open(src, "w") as f:
        f.write(PAUSE_C)
    pause = os.path.join(d, "pause")
    r = subprocess.run(["gcc", "-static", "-O2", "-o", pause, src], capture_output=True)
    if r.returncode:
        raise Unavailable("cannot build a static pause binary: " + r.stderr.decode(errors="replace"))
    with open(pause, "rb") as f:
        pb = f.read()
    p = os.path.join(d, "pause.tar")
    out[PAUSE_IMAGE] = (p, _archive(p, PAUSE_IMAGE, [("pause", pb)], ["/pause"]))
    return out


def _wait_socket(path, proc, log, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return
        if proc.poll() is not None:
            raise Unavailable("%s exited (%d): %s" % (proc.args[0], proc.returncode, _tail(log)))
        time.sleep(0.1)
    raise Unavailable("%s did not open %s: %s" % (proc.args[0], path, _tail(log)))


def _tail(path, n=2000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode(errors="replace")
    except OSError:
        return ""


def _stop(proc, timeout=20):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Containerd:
    """containerd with its CRI plugin: runc, cgroupfs, host networking only."""

    def __init__(self, d):
        self.dir = d
        self.sock = os.path.join(d, "containerd.sock")
        self.log = os.path.join(d, "containerd.log")
        cfg = os.path.join(d, "config.toml")
        os.makedirs(os.path.join(d, "cni"), exist_ok=True)
        with open(cfg, "w") as f:
            f.write("""version = 2
root = "%(d)s/root"
state = "%(d)s/state"
[grpc]
  address = "%(sock)s"
[ttrpc]
  address = "%(d)s/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "%(pause)s"
  # no CAP_SYS_RESOURCE in this sandbox: never lower a child's oom_score_adj
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "%(runc)s"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "%(d)s/cni"
    conf_dir = "%(d)s/cni"
""" % {"d": d, "sock": self.sock, "pause": PAUSE_IMAGE, "runc": which("runc")})
        env = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin")
        self.proc = subprocess.Popen([which("containerd"), "--config", cfg], stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        _wait_socket(self.sock, self.proc, self.log)

    def ctr(self, *args, ns="default", check=True, timeout=120):
        r = subprocess.run([which("ctr"), "--address", self.sock, "-n", ns] + list(args),
                           capture_output=True, timeout=timeout)
        if check and r.returncode:
            raise AssertionError("ctr %s: %s" % (" ".join(args), (r.stderr or r.stdout).decode(errors="replace")))
        return r.stdout.decode(errors="replace")

    def stop(self):
        _stop(self.proc)


class Dockerd:
    """dockerd on our containerd: cgroupfs driver, no iptables, no bridge."""

    def __init__(self, d, containerd_sock):
        self.dir = d
        self.sock = os.path.join(d, "docker.sock")
        self.log = os.path.join(d, "dockerd.log")
        env = dict(os.environ, PATH="/usr/sbin:/usr/bin:/sbin:/bin")
        self.proc = subprocess.Popen(
            [which("dockerd"), "--host", "unix://" + self.sock, "--data-root", os.path.join(d, "data"),
             "--exec-root", os.path.join(d, "exec"), "--pidfile", os.path.join(d, "dockerd.pid"),
             "--containerd", containerd_sock, "--iptables=false", "--ip6tables=false", "--bridge=none",
             "--exec-opt", "native.cgroupdriver=cgroupfs", "--add-runtime", "tg-runc=" + which("runc"),
             "--default-runtime", "tg-runc", "--storage-driver", "overlay2", "--userland-proxy=false"],
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
        _wait_socket(self.sock, self.proc, self.log)
        deadline = time.time() + 60
        while self.docker("version", check=False, timeout=10).returncode:
            if time.time() > deadline or self.proc.poll() is not None:
                raise Unavailable("dockerd does not answer: " + _tail(self.log))
            time.sleep(0.2)

    def docker(self, *args, check=True, timeout=120):
        # Debian's client, not whatever else is first on PATH
        r = subprocess.run([which("docker", ("/usr/bin",)), "-H", "unix://" + self.sock] + list(args),
                           capture_output=True, timeout=timeout)
        if check and r.returncode:
            raise AssertionError("docker %s: %s" % (" ".join(args), (r.stderr or r.stdout).decode(errors="replace")))
        return r if not check else r.stdout.decode(errors="replace")

    def stop(self):
        _stop(self.proc)


class Podman:
    """podman with its own storage, cgroupfs, runc, explicit ulimits (no
    CAP_SYS_RESOURCE here), and its API service on a socket of ours."""

    def __init__(self, d):
        self.dir = d
        self.sock = os.path.join(d, "podman.sock")
        self.log = os.path.join(d, "podman.log")
        conf = os.path.join(d, "containers.conf")
        with open(conf, "w") as f:
            f.write("""[containers]
default_ulimits = []
netns = "host"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
""")
        self.env = dict(os.environ, CONTAINERS_CONF=conf, PATH="/usr/sbin:/usr/bin:/sbin:/bin")
        self.base = [which("podman"), "--root", os.path.join(d, "root"), "--runroot", os.path.join(d, "run"),
                     "--tmpdir", os.path.join(d, "tmp"), "--cgroup-manager", "cgroupfs", "--runtime",
                     which("runc"), "--events-backend", "file", "--storage-driver", "overlay"]
        self.proc = None

    def podman(self, *args, check=True, timeout=120):
        r = subprocess.run(self.base + list(args), capture_output=True, timeout=timeout, env=self.env)
        if check and r.returncode:
            raise AssertionError("podman %s: %s" % (" ".join(args), (r.stderr or r.stdout).decode(errors="replace")))
        return r if not check else r.stdout.decode(errors="replace")

    def service(self):
        self.proc = subprocess.Popen(self.base + ["system", "service", "--time=0", "unix://" + self.sock],
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True)
        _wait_socket(self.sock, self.proc, self.log)

    def stop(self):
        _stop(self.proc)
