#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The agent's container image without a Docker daemon or image builder:
a one-layer root filesystem of the built tetragon and tetra, the shared
libraries ldd names for them and the few files a container needs, written
as an OCI image archive (podman load, skopeo copy oci-archive:...) and as
a docker archive (docker load). Reproducible: fixed timestamps and owners,
sorted entries. Usage (make image):

  scripts/build-image.py --bin build/bin --out build/image --tag tetragon:VERSION
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile

EPOCH = 0
CREATED = "1970-01-01T00:00:00Z"
DIRS = ["bin", "dev", "etc", "etc/tetragon", "etc/tetragon/tetragon.conf.d", "etc/tetragon/tetragon.tp.d",
        "lib", "lib64", "proc", "root", "run", "run/tetragon", "sys", "tmp", "usr", "usr/bin", "var",
        "var/log", "var/log/tetragon"]


def die(msg):
    sys.stderr.write("build-image: %s\n" % msg)
    sys.exit(1)


def libraries(binary):
    """(path in the image, file on this host) of every library ldd resolves."""
    r = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if r.returncode:
        die("ldd %s: %s" % (binary, r.stderr.strip() or r.stdout.strip()))
    out = []
    for line in r.stdout.splitlines():
        line = line.strip()
        m = re.match(r"\S+ => (/\S+) \(0x[0-9a-f]+\)$", line) or re.match(r"(/\S+) \(0x[0-9a-f]+\)$", line)
        if m:
            out.append(m.group(1))
        elif "not found" in line:
            die("%s: library %s (install its Debian package, make deps)" % (binary, line))
    return out


class Layer:
    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)
        self.seen = set()

    def _info(self, name, kind, mode):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = kind, mode, EPOCH, 0, 0, "root", "root"
        return ti

    def dir(self, name, mode=0o755):
        if name not in self.seen:
            self.seen.add(name)
            self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode))

    def parents(self, name):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.dir("/".join(parts[:i]))

    def data(self, name, data, mode=0o644):
        self.parents(name)
        if name in self.seen:
            return
        self.seen.add(name)
        ti = self._info(name, tarfile.REGTYPE, mode)
        ti.size = len(data)
        self.tar.addfile(ti, io.BytesIO(data))

    def file(self, name, src, mode=None):
        with open(src, "rb") as f:   # the library itself, not the host's symlink to it
            data = f.read()
        self.data(name, data, mode if mode is not None else (os.stat(src).st_mode & 0o755))

    def link(self, name, target):
        self.parents(name)
        self.seen.add(name)
        ti = self._info(name, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.tar.addfile(ti)

    def close(self):
        self.tar.close()
        return self.buf.getvalue()


def rootfs(bindir):
    layer = Layer()
    for d in DIRS:
        layer.dir(d, 0o1777 if d == "tmp" else 0o755)
    layer.link("var/run", "../run")
    libs = []
    for name in ("tetragon", "tetra"):
        src = os.path.join(bindir, name)
        if not os.access(src, os.X_OK):
            die("%s not built (make)" % src)
        layer.file("usr/bin/" + name, src, 0o755)
        libs += libraries(src)
    for lib in sorted(set(libs)):
        layer.file(lib.lstrip("/"), lib, 0o755)
    layer.data("etc/passwd", b"root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    layer.data("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    layer.data("etc/nsswitch.conf", b"passwd: files\ngroup: files\nhosts: files dns\n")
    layer.data("etc/hosts", b"127.0.0.1 localhost\n::1 localhost\n")
    return layer.close()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def add(tar, name, data):
    ti = tarfile.TarInfo(name)
    ti.mtime, ti.mode, ti.size = EPOCH, 0o644, len(data)
    tar.addfile(ti, io.BytesIO(data))


def add_dir(tar, name):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mtime, ti.mode = tarfile.DIRTYPE, EPOCH, 0o755
    tar.addfile(ti)


def image_config(diff_id, version):
    return {
        "architecture": "amd64", "os": "linux", "created": CREATED,
        "config": {
            "Entrypoint": ["/usr/bin/tetragon"],
            "Env": ["PATH=/usr/bin:/bin"],
            "WorkingDir": "/",
            "Labels": {"org.opencontainers.image.title": "tetragon",
                       "org.opencontainers.image.description": "eBPF runtime security observability agent",
                       "org.opencontainers.image.version": version},
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
        "history": [{"created": CREATED, "created_by": "scripts/build-image.py"}],
    }


def write_oci(path, tag, layer, config, level):
    """An OCI image layout in a tar (oci-archive), the layer gzipped."""
    gz = gzip.compress(layer, compresslevel=level, mtime=EPOCH)
    cfg = json.dumps(config, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(cfg),
                   "size": len(cfg)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + sha(gz),
                    "size": len(gz)}],
    }, sort_keys=True).encode()
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": "sha256:" + sha(manifest), "size": len(manifest),
                       "annotations": {"org.opencontainers.image.ref.name": tag}}],
    }, sort_keys=True).encode()
    with tarfile.open(path + ".tmp", "w") as t:
        add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(t, "index.json", index)
        add_dir(t, "blobs")
        add_dir(t, "blobs/sha256")
        for blob in (cfg, manifest, gz):
            add(t, "blobs/sha256/" + sha(blob), blob)
    os.replace(path + ".tmp", path)
    return "sha256:" + sha(manifest)


def write_docker(path, tags, layer, config):
    """docker save's layout, for docker load."""
    cfg = json.dumps(config, sort_keys=True).encode()
    layer_dir = sha(layer)
    manifest = [{"Config": sha(cfg) + ".json", "RepoTags": tags, "Layers": [layer_dir + "/layer.tar"]}]
    with tarfile.open(path + ".tmp", "w") as t:
        add_dir(t, layer_dir)
        add(t, layer_dir + "/layer.tar", layer)
        add(t, sha(cfg) + ".json", cfg)
        add(t, "manifest.json", json.dumps(manifest).encode())
    os.replace(path + ".tmp", path)
    return "sha256:" + sha(cfg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="directory of the built tetragon and tetra")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--tag", default="tetragon:latest", help="image name:tag")
    ap.add_argument("--gzip-level", type=int, default=6, choices=range(1, 10), metavar="1-9",
                    help="the OCI layer's compression (default 6; the tests take 1)")
    args = ap.parse_args()
    if ":" not in args.tag.rsplit("/", 1)[-1]:
        die("--tag %s: want name:tag" % args.tag)
    version = args.tag.rsplit(":", 1)[1]
    os.makedirs(args.out, exist_ok=True)
    layer = rootfs(args.bin)
    config = image_config(sha(layer), version)
    oci = os.path.join(args.out, "tetragon-oci.tar")
    docker = os.path.join(args.out, "tetragon-docker.tar")
    digest = write_oci(oci, args.tag, layer, config, args.gzip_level)
    image_id = write_docker(docker, [args.tag], layer, config)
    print("image %s: %s (manifest %s), %s (image id %s); layer %d MiB" % (
        args.tag, oci, digest, docker, image_id, len(layer) >> 20))


if __name__ == "__main__":
    main()
