#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Security of the gRPC API against a local unprivileged user (nobody):
who may change policies and stream events over the unix socket, loopback
and remote TCP; a second agent over a live socket; connection floods;
an HTTP/2 CONTINUATION flood. Each attack runs as uid 65534."""

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
from harness import (AGENT, BUILD, ROOT, Agent, Skip, execs, require_root, run_tests, free_port,  # noqa: E402
                     wait_metric)

TETRA = os.path.join(ROOT, BUILD, "bin", "tetra")
PY = "/usr/bin/python3"		# nobody cannot run a python from root's home
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
TMP = tempfile.mkdtemp(prefix="tg-secapi-")
os.chmod(TMP, 0o755)
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    atexit.register(shutil.rmtree, TMP, True)

STATIC = os.path.join(TMP, "static.yaml")
with open(STATIC, "w") as f:
    f.write("""apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "host-policy"
spec:
  tracepoints:
  - subsystem: "syscalls"
    event: "sys_enter_getppid"
""")
KILL = os.path.join(TMP, "kill.yaml")
with open(KILL, "w") as f:
    f.write("""apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: "nobody-kills"
spec:
  kprobes:
  - call: "sys_getppid"
    syscall: true
    selectors:
    - matchActions:
      - action: Sigkill
""")
os.chmod(STATIC, 0o644)
os.chmod(KILL, 0o644)


def tetra(*args, user=None, timeout=30):
    cmd = (user or []) + [TETRA] + list(args)
    # stdin: a pipe or file would make tetra getevents read events from it
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def expect_denied(addr, *args, user=NOBODY, what=None):
    rc, out, err = tetra(*args, "--server-address", addr, user=user)
    assert rc != 0, "%s succeeded for nobody: %s" % (what or args, out)
    assert "PERMISSION_DENIED" in err, "%s: expected PERMISSION_DENIED, got: %s" % (what or args, err)
    return err


def policy_state(addr, name):
    rc, out, err = tetra("tracingpolicy", "list", "--server-address", addr)
    assert rc == 0, err
    for line in out.splitlines():
        cols = line.split()
        if len(cols) > 3 and cols[1] == name:
            return cols[3]
    return None


def start(*extra):
    """An agent with TCP on a free loopback port and its own unix socket."""
    port = free_port()
    sock = os.path.join(TMP, "api-%d.sock" % port)
    a = Agent("--server-address", "127.0.0.1:%d" % port, "--server-socket", sock, *extra)
    a.tcp = "127.0.0.1:%d" % port
    a.sock = sock
    return a


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---- who may change the agent -----------------------------------------------------------

def test_nobody_cannot_change_policies_over_loopback_tcp():
    require_root()
    a = start("--tracing-policy", STATIC)
    try:
        rc, out, err = tetra("status", "--server-address", a.tcp, user=NOBODY)
        assert rc == 0 and "running" in out, "health is public: %s %s" % (out, err)
        err = expect_denied(a.tcp, "tracingpolicy", "add", KILL, what="add a Sigkill policy")
        assert "only root" in err and "uid 65534 over loopback TCP" in err, err
        for verb in (["delete", "host-policy"], ["disable", "host-policy"], ["set-mode", "host-policy", "monitor"]):
            expect_denied(a.tcp, "tracingpolicy", *verb, what=verb[0])
        expect_denied(a.tcp, "tracingpolicy", "list", what="list")
        rc, out, err = tetra("getevents", "--server-address", a.tcp, user=NOBODY, timeout=20)
        assert rc != 0 and "PERMISSION_DENIED" in err, "getevents: %s" % err
        # the host's policy is untouched and root still manages everything
        assert policy_state(a.tcp, "host-policy") == "enabled", "host policy changed"
        assert policy_state(a.tcp, "nobody-kills") is None, "nobody's policy was added"
        rc, out, err = tetra("tracingpolicy", "disable", "host-policy", "--server-address", a.tcp)
        assert rc == 0, err
        assert policy_state(a.tcp, "host-policy") == "disabled"
        assert re.search(r'level=warn msg="gRPC: AddTracingPolicy changes the agent.*uid 65534', a.stderr()), \
            "no warning for the refused call"
    finally:
        assert a.stop() == 0


def test_unix_socket_is_root_only_by_default():
    require_root()
    a = start()
    try:
        st = os.stat(a.sock)
        assert (st.st_mode & 0o777) == 0o600 and st.st_uid == 0, "socket mode %o" % st.st_mode
        rc, out, err = tetra("status", "--server-address", "unix://" + a.sock, user=NOBODY)
        assert rc != 0, "nobody reached the root-only socket: %s" % out
        rc, out, err = tetra("status", "--server-address", "unix://" + a.sock)
        assert rc == 0 and "running" in out, err
    finally:
        assert a.stop() == 0
    assert not os.path.exists(a.sock), "socket left behind"


def test_access_group_on_the_unix_socket():
    require_root()
    gid = 4242	# any gid: setpriv gives it to nobody as a supplementary group
    a = start("--server-access-group", str(gid))
    member = ["setpriv", "--reuid=65534", "--regid=65534", "--groups=%d" % gid]
    try:
        st = os.stat(a.sock)
        assert (st.st_mode & 0o777) == 0o660 and st.st_gid == gid, "socket %o gid %d" % (st.st_mode, st.st_gid)
        addr = "unix://" + a.sock
        rc, out, err = tetra("tracingpolicy", "add", STATIC, "--server-address", addr, user=member)
        assert rc == 0, "a member of the access group could not add: " + err
        assert policy_state(addr, "host-policy") == "enabled"
        rc, out, err = tetra("tracingpolicy", "delete", "host-policy", "--server-address", addr, user=member)
        assert rc == 0, err
        rc, out, err = tetra("status", "--server-address", addr, user=NOBODY)
        assert rc != 0, "a non-member reached a 0660 socket"
        # over loopback TCP the group database decides: nobody is not a member there
        expect_denied(a.tcp, "tracingpolicy", "add", STATIC, user=member, what="add over TCP")
    finally:
        assert a.stop() == 0


def test_access_group_over_tcp_from_the_group_database():
    require_root()
    if not shutil.which("groupadd"):
        raise Skip("groupadd missing")
    group = "tg-test-api"
    subprocess.run(["groupdel", group], stderr=subprocess.DEVNULL)
    subprocess.run(["groupadd", "--system", group], check=True)
    try:
        subprocess.run(["gpasswd", "-a", "nobody", group], check=True, stdout=subprocess.DEVNULL)
        a = start("--server-access-group", group)
        try:
            rc, out, err = tetra("tracingpolicy", "add", STATIC, "--server-address", a.tcp, user=NOBODY)
            assert rc == 0, "a member (group database) could not add over TCP: " + err
            rc, out, err = tetra("tracingpolicy", "delete", "host-policy", "--server-address", a.tcp, user=NOBODY)
            assert rc == 0, err
        finally:
            assert a.stop() == 0
    finally:
        subprocess.run(["groupdel", group])


def test_public_read_opens_streaming_only():
    require_root()
    a = start("--server-public-read", "--tracing-policy", STATIC)
    try:
        st = os.stat(a.sock)
        assert (st.st_mode & 0o777) == 0o666, "socket mode %o" % st.st_mode
        marker = os.path.join(TMP, "public-read-marker")
        shutil.copy("/bin/true", marker)
        os.chmod(marker, 0o755)
        for addr in (a.tcp, "unix://" + a.sock):
            n_before = a.stderr().count("GetEvents client uid 65534")
            p = subprocess.Popen(NOBODY + [TETRA, "getevents", "-o", "compact", "--color", "never",
                                           "--server-address", addr, "--process", "public-read-marker"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                # the sentinel: the agent registered nobody's stream
                deadline = time.time() + 20
                while a.stderr().count("GetEvents client uid 65534") == n_before and time.time() < deadline:
                    assert p.poll() is None, "nobody's stream refused: %s" % p.stderr.read().decode()
                    time.sleep(0.05)
                subprocess.run([marker])
                r, _, _ = select.select([p.stdout], [], [], 20)
                line = p.stdout.readline().decode() if r else ""
                assert "public-read-marker" in line, "nobody's stream over %s got: %r" % (addr, line)
            finally:
                p.kill()
                p.wait()
            rc, out, err = tetra("tracingpolicy", "list", "--server-address", addr, user=NOBODY)
            assert rc == 0 and "host-policy" in out, err
            expect_denied(addr, "tracingpolicy", "add", KILL, what="add with public read")
            expect_denied(addr, "tracingpolicy", "disable", "host-policy", what="disable with public read")
    finally:
        assert a.stop() == 0


STREAMS = r"""
import socket, struct, sys
# raw HTTP/2 GetEvents calls on one connection: stream ids 1, 3, 5...
port, n = int(sys.argv[1]), int(sys.argv[2])
def frame(t, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + struct.pack(">I", sid) + payload
def lit(name, value):
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
hdr = (b"\x83\x86" + lit(b":path", b"/tetragon.FineGuidanceSensors/GetEvents") + lit(b":authority", b"x") +
       lit(b"content-type", b"application/grpc") + lit(b"te", b"trailers"))
for i in range(n):
    sid = 1 + 2 * i
    s.sendall(frame(1, 4, sid, hdr) + frame(0, 0, sid, b"\x00\x00\x00\x00\x00"))
# read until a RST or trailers carry grpc-status 8 (RESOURCE_EXHAUSTED): it is plain in the HPACK literal
data = b""
s.settimeout(10)
try:
    while b"grpc-status" not in data and len(data) < 1 << 20:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
print("exhausted" if b"event streams" in data else "none", flush=True)
sys.stdin.readline()
"""


def test_event_streams_per_client_are_bounded():
    require_root()
    a = start("--server-public-read")
    script = os.path.join(TMP, "streams.py")
    with open(script, "w") as f:
        f.write(STREAMS)
    port = int(a.tcp.rsplit(":", 1)[1])
    try:
        p = subprocess.Popen(NOBODY + [PY, script, str(port), "9"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        line = p.stdout.readline().decode().strip()
        assert line == "exhausted", "the 9th stream was not refused: %r %s" % (line, p.stderr.read1(2000))
        assert a.stderr().count("GetEvents client uid 65534") == 8, a.stderr()[-3000:]
        assert "holds 8 event streams, the limit per client" in a.stderr()
        # root is not counted against nobody's streams
        rc, out, err = tetra("tracingpolicy", "list", "--server-address", a.tcp)
        assert rc == 0, err
        p.communicate(b"\n", timeout=30)
    finally:
        assert a.stop() == 0


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


def test_remote_tcp_gets_health_only():
    require_root()
    ip = host_address()
    if not ip:
        raise Skip("this machine has no non-loopback IPv4 address")
    port = free_port()
    addr = "%s:%d" % (ip, port)
    a = Agent("--server-address", addr, "--server-socket", "", "--tracing-policy", STATIC)
    try:
        rc, out, err = tetra("status", "--server-address", addr)
        assert rc == 0 and "running" in out, err
        # even root: from a non-loopback address the agent cannot tell who it is
        err = expect_denied(addr, "tracingpolicy", "list", user=[], what="list from a remote address")
        assert "remote TCP peer" in err, err
        expect_denied(addr, "tracingpolicy", "delete", "host-policy", user=[], what="delete from remote")
    finally:
        assert a.stop() == 0


# ---- the socket and the port -----------------------------------------------------------------

def test_second_agent_refuses_a_live_socket():
    require_root()
    a = start()
    try:
        b = subprocess.run([AGENT, "--stdout", "none", "--server-address", "", "--server-socket", a.sock,
                            "--info-file", ""], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = b.stderr.decode()
        assert b.returncode != 0, "a second agent started over a live socket"
        assert "another agent (pid %d) is serving unix://%s" % (a.proc.pid, a.sock) in err, err
        rc, out, err = tetra("status", "--server-address", "unix://" + a.sock)
        assert rc == 0, "the first agent became unreachable: " + err
    finally:
        assert a.stop() == 0


def test_stale_socket_replaced_and_other_files_refused():
    require_root()
    stale = os.path.join(TMP, "stale.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(stale)
    s.close()	# a crash leaves the file without a listener
    a = Agent("--server-address", "", "--server-socket", stale)
    try:
        rc, out, err = tetra("status", "--server-address", "unix://" + stale)
        assert rc == 0, err
    finally:
        assert a.stop() == 0
    regular = os.path.join(TMP, "regular")
    with open(regular, "w") as f:
        f.write("keep me\n")
    b = subprocess.run([AGENT, "--stdout", "none", "--server-address", "", "--server-socket", regular,
                        "--info-file", ""], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert b.returncode != 0 and "exists and is not a socket" in b.stderr.decode(), b.stderr.decode()
    assert open(regular).read() == "keep me\n"
    # a directory nobody may write: they could swap the socket for their own
    shared = os.path.join(TMP, "shared")
    os.mkdir(shared)
    os.chown(shared, 65534, 65534)
    b = subprocess.run([AGENT, "--stdout", "none", "--server-address", "", "--info-file", "",
                        "--server-socket", os.path.join(shared, "t.sock")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    err = b.stderr.decode()
    assert b.returncode != 0 and "refusing to create the unix socket %s/t.sock" % shared in err and "uid 65534" in err, err


# ---- exhaustion ----------------------------------------------------------------------------------

FLOOD = r"""
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    socks.append(s)
print("ready", flush=True)
sys.stdin.readline()    # held until the test says
alive = 0
for s in socks:
    try:
        alive += s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
print(alive, flush=True)
"""


def test_connection_flood_is_bounded_and_the_listener_recovers():
    require_root()
    mport = free_port()
    a = start("--metrics-server", "127.0.0.1:%d" % mport)
    script = os.path.join(TMP, "flood.py")
    with open(script, "w") as f:
        f.write(FLOOD)
    port = int(a.tcp.rsplit(":", 1)[1])
    try:
        p = subprocess.Popen(NOBODY + [PY, script, str(port), "600"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = p.stdout.readline().decode()
        assert line == "ready\n", "flood did not connect: %s" % p.stderr.read().decode()
        # the sentinel: the agent has refused the 568 over nobody's share
        deadline = time.time() + 30
        while "that client has 32 open" not in a.stderr() and time.time() < deadline:
            time.sleep(0.1)
        assert "refused a connection from uid 65534 over loopback TCP" in a.stderr(), a.stderr()[-2000:]
        # root is not shut out while nobody holds its share
        rc, out, err = tetra("tracingpolicy", "list", "--server-address", a.tcp)
        assert rc == 0, "root was shut out by the flood: " + err
        out, err = p.communicate(b"\n", timeout=60)
        alive = int(out.decode().strip() or -1)
        assert alive == 32, "nobody kept %d connections open, the bound is 32" % alive
        fds = len(os.listdir("/proc/%d/fd" % a.proc.pid))
        assert fds < 400, "the agent holds %d descriptors" % fds
        wait_metric(mport, "tetragon_api_connections_refused_total", {"reason": "per_client"}, 568, timeout=10)
        # they are gone: nobody may connect again
        deadline = time.time() + 10
        while True:
            rc, out, err = tetra("status", "--server-address", a.tcp, user=NOBODY)
            if rc == 0 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert rc == 0 and "running" in out, "the listener did not recover: " + err
    finally:
        assert a.stop() == 0


def test_descriptor_limit_is_raised():
    require_root()
    if not shutil.which("prlimit"):
        raise Skip("prlimit missing")
    hard = int(subprocess.check_output(["sh", "-c", "ulimit -Hn"]).decode().strip())
    if hard < 2048:
        raise Skip("hard descriptor limit %d" % hard)
    port = free_port()
    sock = os.path.join(TMP, "rl.sock")
    # the agent is started with a soft limit of 1024, like a shell's default
    p = subprocess.Popen(["prlimit", "--nofile=1024:%d" % hard, AGENT, "--stdout", "none", "--info-file", "",
                          "--server-address", "127.0.0.1:%d" % port, "--server-socket", sock],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            rc, out, err = tetra("status", "--server-address", "127.0.0.1:%d" % port)
            if rc == 0:
                break
            time.sleep(0.2)
        limits = open("/proc/%d/limits" % p.pid).read()
        soft = int(re.search(r"Max open files\s+(\d+)", limits).group(1))
        assert soft == hard, "soft descriptor limit %d, hard %d" % (soft, hard)
    finally:
        p.terminate()
        p.wait(timeout=30)


CONTINUATION = r"""
import socket, struct, sys
port, mb = int(sys.argv[1]), int(sys.argv[2])
def frame(t, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + struct.pack(">I", sid) + payload
s = socket.create_connection(("127.0.0.1", port))
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


def test_continuation_flood_is_cut_short():
    require_root()
    a = start()
    script = os.path.join(TMP, "continuation.py")
    with open(script, "w") as f:
        f.write(CONTINUATION)
    port = int(a.tcp.rsplit(":", 1)[1])
    try:
        before = vmrss_kb(a.proc.pid)
        p = subprocess.run(NOBODY + [PY, script, str(port), "200"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        out = p.stdout.decode()
        assert out.startswith("closed"), "the agent took the whole flood: %s %s" % (out, p.stderr.decode())
        sent = int(out.split()[1])
        assert sent < 8 << 20, "the agent read %d bytes of one header block" % sent
        after = vmrss_kb(a.proc.pid)
        assert after - before < 32 * 1024, "RSS grew from %d to %d kB" % (before, after)
        assert re.search(r"closed the connection of uid 65534 over loopback TCP.*header block", a.stderr()), \
            a.stderr()[-2000:]
        rc, out, err = tetra("status", "--server-address", a.tcp)
        assert rc == 0, err
    finally:
        assert a.stop() == 0


if __name__ == "__main__":
    sys.exit(run_tests([
        test_nobody_cannot_change_policies_over_loopback_tcp,
        test_unix_socket_is_root_only_by_default,
        test_access_group_on_the_unix_socket,
        test_access_group_over_tcp_from_the_group_database,
        test_public_read_opens_streaming_only,
        test_event_streams_per_client_are_bounded,
        test_remote_tcp_gets_health_only,
        test_second_agent_refuses_a_live_socket,
        test_stale_socket_replaced_and_other_files_refused,
        test_connection_flood_is_bounded_and_the_listener_recovers,
        test_descriptor_limit_is_raised,
        test_continuation_flood_is_cut_short,
    ]))
