#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""TLS and mTLS on the API's TCP listener (upstream's --server-tls-* flags)
and tetra's --tls-* flags, with a throwaway CA, server and client
certificates made here by the openssl command: who gets what over TLS from
loopback and from another address, handshakes refused (no client
certificate, another CA, plaintext), files refused at start, and the
CONTINUATION flood guard through TLS."""

import atexit
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (AGENT, BUILD, ROOT, Agent, Skip, require_root, run_tests, free_port, metric_key,  # noqa: E402
                     scrape_metrics)

TETRA = os.path.join(ROOT, BUILD, "bin", "tetra")
PY = "/usr/bin/python3"		# nobody cannot run a python from root's home
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
TMP = tempfile.mkdtemp(prefix="tg-tls-")
os.chmod(TMP, 0o755)
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    atexit.register(shutil.rmtree, TMP, True)


def path(name):
    return os.path.join(TMP, name)


def host_address():
    """A non-loopback IPv4 address of this machine, or None."""
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("10.255.255.255", 1))
        ip = s.getsockname()[0]
        s.close()
        return None if ip.startswith("127.") else ip
    except OSError:
        return None


HOST = host_address()


def openssl(*args):
    p = subprocess.run(["openssl"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 0, "openssl %s: %s" % (" ".join(args), p.stderr.decode())


def make_ca(name, cn):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", path(name + ".key"), "-out", path(name + ".crt"), "-days", "2", "-subj", "/CN=" + cn)


def make_cert(name, ca, subj, ext, rsa=False):
    key = ["rsa:2048"] if rsa else ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    openssl("req", "-newkey", *key, "-nodes", "-keyout", path(name + ".key"), "-out", path(name + ".csr"),
            "-subj", subj)
    with open(path(name + ".ext"), "w") as f:
        f.write(ext)
    openssl("x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".crt"), "-CAkey", path(ca + ".key"),
            "-CAcreateserial", "-out", path(name + ".crt"), "-days", "2", "-extfile", path(name + ".ext"))
    os.chmod(path(name + ".key"), 0o600)
    os.chmod(path(name + ".crt"), 0o644)
    return path(name + ".crt"), path(name + ".key")


SANS = "DNS:localhost,IP:127.0.0.1" + (",IP:" + HOST if HOST else "")
make_ca("ca", "tg-test CA")
make_ca("rogue-ca", "tg-test rogue CA")
os.chmod(path("ca.crt"), 0o644)
SERVER = make_cert("server", "ca", "/CN=tetragon", "subjectAltName=%s\nextendedKeyUsage=serverAuth\n" % SANS,
                   rsa=True)
ADMIN = make_cert("admin", "ca", "/O=tg-test/CN=tg-admin", "extendedKeyUsage=clientAuth\n")
OPS = make_cert("ops", "ca", "/O=tg-test/CN=tg-ops", "extendedKeyUsage=clientAuth\n")
ROGUE = make_cert("rogue", "rogue-ca", "/O=tg-test/CN=tg-admin", "extendedKeyUsage=clientAuth\n")
CA = path("ca.crt")


def nobodys(cert, name):
    """nobody's own copy of an identity (tetra reads a client's files as that client)."""
    copy = (path("nobody-%s.crt" % name), path("nobody-%s.key" % name))
    for src, dst in zip(cert, copy):
        shutil.copy(src, dst)
        os.chown(dst, 65534, 65534)
    return copy


NOBODY_ADMIN = nobodys(ADMIN, "admin")
NOBODY_OPS = nobodys(OPS, "ops")

POLICY = path("tls-policy.yaml")
with open(POLICY, "w") as f:
    f.write("""apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "tls-added"
spec:
  tracepoints:
  - subsystem: "syscalls"
    event: "sys_enter_getppid"
""")
os.chmod(POLICY, 0o644)


def tetra(*args, user=None, timeout=30):
    cmd = (user or []) + [TETRA] + list(args)
    # stdin: a pipe or file would make tetra getevents read events from it
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def tls(addr, cert=None, ca=CA, name=None):
    a = ["--server-address", addr, "--tls-ca-cert-files", ca]
    if cert:
        a += ["--tls-cert-file", cert[0], "--tls-key-file", cert[1]]
    if name:
        a += ["--tls-server-name", name]
    return a


def tls_agent(host="127.0.0.1", *extra, clients=True):
    """An agent serving TLS on a free port of host, with its own unix socket."""
    port = free_port(host)
    args = ["--server-address", "%s:%d" % (host, port), "--server-socket", path("api-%d.sock" % port),
            "--server-tls-cert-file", SERVER[0], "--server-tls-key-file", SERVER[1]]
    if clients:
        args += ["--server-tls-client-ca-files", CA]
    a = Agent(*(args + list(extra)))
    a.tcp = "%s:%d" % (host, port)
    a.port = port
    return a


_shared = []


def shared():
    """
    One TLS agent on loopback (client certificates verified, not required)
    for the tests that need no other. Its warnings are rate-limited (one
    per kind per 10 s): tests that read a refusal's words use an agent of
    their own, the others count refusals in the metrics.
    """
    if not _shared:
        mport = free_port()
        _shared.append(tls_agent("127.0.0.1", "--metrics-server", "127.0.0.1:%d" % mport))
        _shared[0].metrics = mport
    return _shared[0]


def tls_refusals(a, at_least, timeout=10):
    """tetragon_api_connections_refused_total{reason="tls"}, once it reaches at_least (rendered every second)."""
    deadline = time.time() + timeout
    while True:
        v = scrape_metrics(a.metrics).get(metric_key("tetragon_api_connections_refused_total", reason="tls"))
        assert v is not None, "no tls refusals metric"
        if v >= at_least or time.time() > deadline:
            return int(v)
        time.sleep(0.2)


def policy_names(addr_args):
    rc, out, err = tetra("tracingpolicy", "list", *addr_args)
    assert rc == 0, err
    return [line.split()[1] for line in out.splitlines()[1:] if len(line.split()) > 1]


def wait_log(a, pattern, timeout=20):
    deadline = time.time() + timeout
    while not re.search(pattern, a.stderr()):
        assert time.time() < deadline, "no log line %r: %s" % (pattern, a.stderr()[-2000:])
        time.sleep(0.05)


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---- serving ------------------------------------------------------------------------------------

def test_status_and_events_over_tls():
    require_root()
    a = shared()
    assert re.search(r"gRPC server listening on %s \(TLS, client certificates verified\)" % re.escape(a.tcp),
                     a.stderr()), a.stderr()[-2000:]
    assert "without TLS" not in a.stderr()
    rc, out, err = tetra("status", *tls(a.tcp))
    assert rc == 0 and out == "Health Status: running\n", (out, err)
    # upstream's form: the flags before the command; and the name checked instead of the address
    rc, out, err = tetra("--server-address", "127.0.0.1:%d" % a.port, "--tls-ca-cert-files", CA,
                         "--tls-server-name", "localhost", "status")
    assert rc == 0 and "running" in out, err
    rc, out, err = tetra("status", *tls(a.tcp, name="not-the-agent.example"))
    assert rc != 0 and "not-the-agent.example is not in peer certificate" in err, \
        "a certificate for another name was accepted: " + err
    assert "The TLS handshake failed: check --tls-ca-cert-files" in err, err
    # events: root over loopback TLS, no client certificate (its sock_diag identity)
    marker = path("tls-marker")
    shutil.copy("/bin/true", marker)
    n_before = a.stderr().count("GetEvents client")
    p = subprocess.Popen([TETRA, "getevents", "-o", "compact", "--color", "never", "--process", "tls-marker"] +
                         tls(a.tcp), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while a.stderr().count("GetEvents client") == n_before:
            assert p.poll() is None, "getevents over TLS ended: %s" % p.stderr.read().decode()
            assert time.time() < deadline, "the stream over TLS never started: " + a.stderr()[-2000:]
            time.sleep(0.05)
        subprocess.run([marker, "over-tls"])
        r, _, _ = select.select([p.stdout], [], [], 20)
        line = p.stdout.readline().decode() if r else ""
        assert "tls-marker over-tls" in line, "getevents over TLS got: %r" % line
    finally:
        p.kill()
        p.wait()


def test_loopback_rights_without_and_with_a_client_certificate():
    require_root()
    a = shared()
    # no certificate: who is calling is still what sock_diag says
    rc, out, err = tetra("tracingpolicy", "add", POLICY, *tls(a.tcp), user=NOBODY)
    assert rc != 0 and "PERMISSION_DENIED" in err and "uid 65534 over loopback TCP" in err, err
    assert "TLS client certificate signed by a CA of the agent's --server-tls-client-ca-files" in err, err
    rc, out, err = tetra("status", *tls(a.tcp), user=NOBODY)
    assert rc == 0 and "running" in out, err
    # a certificate the client CAs sign manages the agent, whoever holds it
    rc, out, err = tetra("tracingpolicy", "add", POLICY, *tls(a.tcp, NOBODY_ADMIN), user=NOBODY)
    assert rc == 0, "a client certificate could not add a policy: " + err
    assert "tls-added" in policy_names(tls(a.tcp))
    rc, out, err = tetra("tracingpolicy", "delete", "tls-added", *tls(a.tcp, NOBODY_ADMIN), user=NOBODY)
    assert rc == 0, err
    assert "tls-added" not in policy_names(tls(a.tcp))


def test_plaintext_against_the_tls_port_fails():
    require_root()
    a = shared()
    before = tls_refusals(a, 0)
    rc, out, err = tetra("status", "--server-address", a.tcp)
    assert rc != 0 and "cannot reach the tetragon agent" in err, (rc, out, err)
    wait_log(a, r"closed the connection of uid 0 over loopback TCP from 127\.0\.0\.1:\d+: it speaks HTTP/2 "
                r"without TLS")
    assert tls_refusals(a, before + 1) == before + 1
    # and the unix socket stays plain
    rc, out, err = tetra("status", "--server-address", "unix://" + path("api-%d.sock" % a.port))
    assert rc == 0 and "running" in out, err
    rc, out, err = tetra("status", "--server-address", "unix://" + path("x.sock"), "--tls-ca-cert-files", CA)
    assert rc == 2 and "unix socket is never TLS" in err, err


def test_certificate_of_another_ca_is_refused():
    require_root()
    a = tls_agent()
    try:
        rc, out, err = tetra("tracingpolicy", "list", *tls(a.tcp, ROGUE))
        assert rc != 0, "a certificate of another CA got through: " + out
        wait_log(a, r"closed the connection of uid 0 over loopback TCP from \S+: the TLS handshake failed: "
                    r"certificate verify failed \(unable to get local issuer certificate\)")
        # a server certificate the client does not trust: tetra says so
        rc, out, err = tetra("status", *tls(a.tcp, ca=path("rogue-ca.crt")))
        assert rc != 0 and "certificate verify failed" in err and "The TLS handshake failed" in err, err
    finally:
        assert a.stop() == 0


HOLD = r"""
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
held = []
for cert, key in zip(sys.argv[3::2], sys.argv[4::2]):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["h2"])
    ctx.load_cert_chain(cert, key)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
    s.settimeout(10)
    try:
        served = len(s.recv(9)) == 9    # gRPC's SETTINGS
    except (OSError, ssl.SSLError):
        served = False
    print("served" if served else "closed", flush=True)
    held.append(s)
sys.stdin.readline()
"""


def test_require_client_cert_and_bounds_per_subject():
    require_root()
    a = tls_agent("127.0.0.1", "--server-tls-require-client-cert", "--server-max-connections-per-client", "2")
    try:
        assert "(TLS, client certificates required)" in a.stderr()
        rc, out, err = tetra("status", *tls(a.tcp))
        assert rc != 0, "a client without a certificate was served: " + out
        wait_log(a, r"closed the connection of uid 0 over loopback TCP from \S+: the TLS handshake failed: "
                    r"peer did not return a certificate")
        rc, out, err = tetra("status", *tls(a.tcp, ADMIN))
        assert rc == 0 and "running" in out, err
        # certificate clients are counted by subject, not by the uid or address they come from
        script = path("hold.py")
        with open(script, "w") as f:
            f.write(HOLD)
        p = subprocess.Popen(NOBODY + [PY, script, str(a.port), CA] + list(NOBODY_ADMIN) * 3 + list(NOBODY_OPS),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            got = [p.stdout.readline().decode().strip() for _ in range(4)]
            assert got == ["served", "served", "closed", "served"], (got, p.stderr.read1(2000))
        finally:
            p.communicate(b"\n", timeout=30)
        wait_log(a, r'refused a connection from certificate \\"CN=tg-admin,O=tg-test\\" '
                    r'\(uid 65534 over loopback TCP from \S+\): that client has 2 open')
    finally:
        assert a.stop() == 0


def test_remote_client_needs_a_certificate_to_manage():
    require_root()
    if not HOST:
        raise Skip("this machine has no non-loopback IPv4 address")
    # without TLS the agent says what it exposes
    port = free_port(HOST)
    plain = Agent("--server-address", "%s:%d" % (HOST, port), "--server-socket", "")
    try:
        assert re.search(r"level=warn msg=\"gRPC: serving the API on %s:%d without TLS" % (re.escape(HOST), port),
                         plain.stderr()), plain.stderr()[-2000:]
    finally:
        assert plain.stop() == 0
    a = tls_agent(HOST)
    try:
        assert "without TLS" not in a.stderr()
        rc, out, err = tetra("status", *tls(a.tcp))
        assert rc == 0 and "running" in out, err
        rc, out, err = tetra("tracingpolicy", "add", POLICY, *tls(a.tcp))
        assert rc != 0 and "PERMISSION_DENIED" in err and "remote TCP peer %s:" % HOST in err, err
        rc, out, err = tetra("getevents", *tls(a.tcp), timeout=20)
        assert rc != 0 and "PERMISSION_DENIED" in err, err
        # with a certificate: add, list, delete from the other address
        rc, out, err = tetra("tracingpolicy", "add", POLICY, *tls(a.tcp, ADMIN))
        assert rc == 0, "the client certificate could not add a policy: " + err
        assert "tls-added" in policy_names(tls(a.tcp, ADMIN))
        rc, out, err = tetra("tracingpolicy", "delete", "tls-added", *tls(a.tcp, ADMIN))
        assert rc == 0, err
        assert "tls-added" not in policy_names(tls(a.tcp, ADMIN))
        # a certificate of another CA gets nothing
        rc, out, err = tetra("status", *tls(a.tcp, ROGUE))
        assert rc != 0, out
        wait_log(a, r"remote TCP peer %s:\d+: the TLS handshake failed: certificate verify failed" % re.escape(HOST))
    finally:
        assert a.stop() == 0


# ---- files and flags at start ---------------------------------------------------------------------

def start_fails(*args):
    # not the host's /etc/tetragon (as the harness's agents)
    env = dict(os.environ, TETRAGON_READ_SYSTEM_CONFIG="false")
    p = subprocess.run([AGENT, "--stdout", "none", "--info-file", "", "--server-socket", ""] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120, env=env)
    err = p.stderr.decode()
    assert p.returncode != 0, "the agent started with %s" % (args,)
    assert "tetragon running" not in err
    return err


def test_bad_files_and_flags_stop_the_agent():
    require_root()
    addr = "127.0.0.1:%d" % free_port()
    base = ["--server-address", addr, "--server-tls-cert-file", SERVER[0]]
    # a key others can read
    for mode, who in ((0o644, "its group and others"), (0o604, "others"), (0o640, "its group")):
        key = path("open-%o.key" % mode)
        shutil.copy(SERVER[1], key)
        os.chmod(key, mode)
        err = start_fails(*base, "--server-tls-key-file", key)
        assert "--server-tls-key-file %s: mode %04o lets %s read the private key" % (key, mode, who) in err, err
    # a key another user owns
    key = path("nobodys.key")
    shutil.copy(SERVER[1], key)
    os.chown(key, 65534, 65534)
    err = start_fails(*base, "--server-tls-key-file", key)
    assert "--server-tls-key-file: " in err and "uid 65534" in err, err
    # not the certificate's key
    err = start_fails(*base, "--server-tls-key-file", ADMIN[1])
    assert "--server-tls-key-file %s: not the key of the certificate in %s" % (ADMIN[1], SERVER[0]) in err, err
    # no such file, not PEM
    err = start_fails("--server-address", addr, "--server-tls-cert-file", path("missing.crt"),
                      "--server-tls-key-file", SERVER[1])
    assert "--server-tls-cert-file: %s: it does not exist" % path("missing.crt") in err, err
    err = start_fails("--server-address", addr, "--server-tls-cert-file", POLICY, "--server-tls-key-file", SERVER[1])
    assert "--server-tls-cert-file %s: no usable PEM certificate" % POLICY in err, err
    err = start_fails(*base, "--server-tls-key-file", SERVER[1], "--server-tls-client-ca-files", CA + "," + POLICY)
    assert "--server-tls-client-ca-files %s: no PEM certificate" % POLICY in err, err
    # combinations upstream refuses
    err = start_fails(*base)
    assert "--server-tls-cert-file is set without --server-tls-key-file" in err, err
    err = start_fails(*base, "--server-tls-key-file", SERVER[1], "--server-tls-require-client-cert")
    assert "--server-tls-require-client-cert needs --server-tls-client-ca-files" in err, err
    err = start_fails("--server-address", "unix://" + path("t.sock"), "--server-tls-cert-file", SERVER[0],
                      "--server-tls-key-file", SERVER[1])
    assert "the unix socket is never TLS" in err, err


# ---- exhaustion through TLS -----------------------------------------------------------------------

CONTINUATION = r"""
import socket, ssl, struct, sys
port, mb, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def frame(t, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + struct.pack(">I", sid) + payload
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["h2"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
print("alpn", s.selected_alpn_protocol(), s.version(), flush=True)
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
one = b"\x00\x05x-abc\x64" + b"v" * 100          # a 100-byte literal header, new name
s.sendall(frame(1, 0, 1, b"\x83\x86\x04\x0c/t.S/Version"))  # HEADERS without END_HEADERS
sent = 0
try:
    while sent < (mb << 20):
        s.sendall(frame(9, 0, 1, one * 150))        # CONTINUATION, never ending
        sent += 150 * len(one)
    print("all", sent)
except OSError as e:
    print("closed", sent)
"""


def test_continuation_flood_through_tls_is_cut_short():
    require_root()
    a = shared()
    script = path("continuation.py")
    with open(script, "w") as f:
        f.write(CONTINUATION)
    before = vmrss_kb(a.proc.pid)
    p = subprocess.run(NOBODY + [PY, script, str(a.port), "200", CA], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    out = p.stdout.decode()
    lines = out.splitlines()
    assert lines and lines[0].startswith("alpn h2 TLSv1."), "ALPN h2 was not negotiated: %s %s" % (
        out, p.stderr.decode())
    assert len(lines) > 1 and lines[1].startswith("closed"), "the agent took the whole flood: %s %s" % (
        out, p.stderr.decode())
    sent = int(lines[1].split()[1])
    assert sent < 8 << 20, "the agent read %d bytes of one header block" % sent
    after = vmrss_kb(a.proc.pid)
    assert after - before < 32 * 1024, "RSS grew from %d to %d kB" % (before, after)
    wait_log(a, r"closed the connection of uid 65534 over loopback TCP.*header block")
    rc, out, err = tetra("status", *tls(a.tcp))
    assert rc == 0, err


def test_idle_handshake_is_closed_at_its_deadline():
    require_root()
    a = shared()
    before = tls_refusals(a, 0)
    s = socket.create_connection(("127.0.0.1", a.port))
    try:
        start = time.time()
        s.settimeout(25)
        data = s.recv(1)	# nothing is sent: the agent ends it
        took = time.time() - start
        assert data == b"", "the agent answered a silent client: %r" % data
        assert 8 < took < 13, "a silent handshake was closed after %.1f s, the deadline is 10 s" % took
        wait_log(a, r"its TLS handshake did not finish within 10 s")
        assert tls_refusals(a, before + 1) == before + 1
    finally:
        s.close()


NODE = r"""
// the stock Node gRPC client (grpc-js) over TLS: it insists on ALPN h2
const path = require('path');
const fs = require('fs');
const grpc = require(process.argv[2] + '/node_modules/@grpc/grpc-js');
const protoLoader = require(process.argv[2] + '/node_modules/@grpc/proto-loader');
const [target, ca, cert, key, api] = process.argv.slice(3);
const def = protoLoader.loadSync('tetragon/sensors.proto', { includeDirs: [api], keepCase: true });
const tetragon = grpc.loadPackageDefinition(def).tetragon;
const creds = cert ? grpc.credentials.createSsl(fs.readFileSync(ca), fs.readFileSync(key), fs.readFileSync(cert))
                   : grpc.credentials.createSsl(fs.readFileSync(ca));
const c = new tetragon.FineGuidanceSensors(target, creds);
const deadline = () => ({ deadline: Date.now() + 10000 });
c.GetHealth({}, deadline(), (err, resp) => {
  if (err) { console.log('health error ' + err.code + ' ' + err.details); process.exit(1); }
  console.log('health ' + resp.health_status[0].details);
  c.ListTracingPolicies({}, deadline(), (err2) => {
    console.log('list ' + (err2 ? 'error ' + err2.code : 'ok'));
    process.exit(0);
  });
});
"""


def test_stock_node_client_over_tls():
    require_root()
    interop = os.path.join(ROOT, "tests", "interop")
    if not shutil.which("node") or not os.path.isdir(os.path.join(interop, "node_modules", "@grpc", "grpc-js")):
        raise Skip("node or tests/interop/node_modules missing (tests/suites/grpc_interop.sh installs them)")
    if not HOST:
        raise Skip("this machine has no non-loopback IPv4 address")
    script = path("node-tls.js")
    with open(script, "w") as f:
        f.write(NODE)
    a = tls_agent(HOST)
    try:
        api = os.path.join(ROOT, "api")
        for cert, want in ((None, "list error 7"), (ADMIN, "list ok")):
            args = ["node", script, interop, a.tcp, CA] + (list(cert) if cert else ["", ""]) + [api]
            p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
            out = p.stdout.decode()
            assert p.returncode == 0 and "health running" in out and want in out, (out, p.stderr.decode())
    finally:
        assert a.stop() == 0


def test_shared_agent_stops_cleanly():
    require_root()
    if not _shared:
        raise Skip("no shared agent was started")
    a = _shared.pop()
    assert a.stop() == 0, a.stderr()[-2000:]
    assert "LeakSanitizer" not in a.stderr() and "AddressSanitizer" not in a.stderr(), a.stderr()[-3000:]


if __name__ == "__main__":
    sys.exit(run_tests([
        test_status_and_events_over_tls,
        test_loopback_rights_without_and_with_a_client_certificate,
        test_plaintext_against_the_tls_port_fails,
        test_certificate_of_another_ca_is_refused,
        test_continuation_flood_through_tls_is_cut_short,
        test_idle_handshake_is_closed_at_its_deadline,
        test_shared_agent_stops_cleanly,
        test_require_client_cert_and_bounds_per_subject,
        test_remote_client_needs_a_certificate_to_manage,
        test_stock_node_client_over_tls,
        test_bad_files_and_flags_stop_the_agent,
    ]))
