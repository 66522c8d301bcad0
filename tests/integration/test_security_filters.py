#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""GetEvents and export filters against hostile input: regexps that used to
cost the agent a gigabyte per stream are refused at once and its memory stays
put; values that name nothing are refused with a message; a normal regexp
filter still streams its events. The agent runs on a private unix socket;
tetra and a raw gRPC client (HTTP/2 by hand, stdlib only, for requests tetra
cannot send) talk to it."""

import os
import queue
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import AGENT, BUILD, ROOT, Agent, run_tests  # noqa: E402

TETRA = os.path.join(ROOT, BUILD, "bin", "tetra")
RSS_BOUND_KB = 20 * 1024   # what refused (or the largest accepted) filters may add
BOMB = "((a{100}){100}){100}"
BOMB_RANGE = "((a{1,100}){1,100}){1,100}"   # tetra would split it at the commas
# the largest kind of pattern a stream may hold: ~7000 RE2 instructions
BIG = "(a{999}|b{999}|c{999}|d{999}|e{999}|f{999}|g{999})"

agent = None
sock = None


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def tetra(*args, timeout=30):
    return subprocess.run([TETRA] + list(args) + ["--server-address", "unix://" + sock],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def wait_log(pattern, count=1, timeout=15):
    """Waits until the agent's log has @count lines matching @pattern."""
    deadline = time.time() + timeout
    while True:
        n = len(re.findall(pattern, agent.stderr()))
        if n >= count:
            return n
        if time.time() > deadline:
            raise AssertionError("timed out waiting for %d agent log lines matching %r (got %d)\n%s"
                                 % (count, pattern, n, agent.stderr()[-2000:]))
        time.sleep(0.05)


def assert_healthy():
    r = tetra("status")
    assert r.returncode == 0 and r.stdout.strip() == "Health Status: running", (r.returncode, r.stdout, r.stderr)
    assert agent.proc.poll() is None, agent.stderr()


# ---- a raw gRPC client ---------------------------------------------------------------

def pb_varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_field(num, wire, payload):
    key = pb_varint(num << 3 | wire)
    if wire == 2:
        return key + pb_varint(len(payload)) + payload
    return key + pb_varint(payload)


def filter_msg(binary_regex=(), event_set=()):
    """A tetragon.Filter: binary_regex = 1, event_set = 6."""
    out = b""
    for r in binary_regex:
        out += pb_field(1, 2, r.encode())
    for t in event_set:
        out += pb_field(6, 0, t)
    return out


def get_events_request(allow=()):
    return b"".join(pb_field(1, 2, f) for f in allow)


# RFC 7541 appendix A: the static table (names only matter here)
HPACK_STATIC = [
    (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
    (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
    (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
    ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""),
    ("cache-control", ""), ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""),
    ("content-length", ""), ("content-location", ""), ("content-range", ""), ("content-type", ""),
    ("cookie", ""), ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
    ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
    ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""),
    ("proxy-authenticate", ""), ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""),
    ("retry-after", ""), ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""),
    ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
]


class Hpack:
    """Decoder for what a gRPC server sends; Huffman-coded strings come out as None."""

    def __init__(self):
        self.dyn = []

    @staticmethod
    def integer(b, i, bits):
        mask = (1 << bits) - 1
        v = b[i] & mask
        i += 1
        if v < mask:
            return v, i
        shift = 0
        while True:
            c = b[i]
            i += 1
            v += (c & 0x7f) << shift
            shift += 7
            if not c & 0x80:
                return v, i

    def string(self, b, i):
        huff = b[i] & 0x80
        n, i = self.integer(b, i, 7)
        s = b[i:i + n]
        return (None if huff else s.decode(errors="replace")), i + n

    def entry(self, idx):
        if idx <= len(HPACK_STATIC):
            return HPACK_STATIC[idx - 1]
        return self.dyn[idx - len(HPACK_STATIC) - 1]

    def decode(self, b):
        out, i = [], 0
        while i < len(b):
            c = b[i]
            if c & 0x80:
                idx, i = self.integer(b, i, 7)
                out.append(self.entry(idx))
                continue
            if c & 0xe0 == 0x20:   # table size update
                _, i = self.integer(b, i, 5)
                continue
            bits = 6 if c & 0x40 else 4
            idx, i = self.integer(b, i, bits)
            if idx:
                name = self.entry(idx)[0]
            else:
                name, i = self.string(b, i)
            value, i = self.string(b, i)
            if c & 0x40:
                self.dyn.insert(0, (name, value))
            out.append((name, value))
        return out


def raw_get_events(path, request, timeout=15):
    """One GetEvents call over h2c; returns (grpc-status, grpc-message or None, messages)."""
    def frame(ftype, flags, stream, payload=b""):
        return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload

    def literal(name, value):
        n, v = name.encode(), value.encode()
        assert len(n) < 127 and len(v) < 127
        return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    buf = b""

    def read(n):
        nonlocal buf
        while len(buf) < n:
            d = s.recv(65536)
            if not d:
                raise AssertionError("connection closed by the agent")
            buf += d
        out, buf = buf[:n], buf[n:]
        return out

    hdrs = b"".join(literal(k, v) for k, v in [
        (":method", "POST"), (":scheme", "http"), (":path", "/tetragon.FineGuidanceSensors/GetEvents"),
        (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers")])
    msg = b"\x00" + struct.pack(">I", len(request)) + request
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0) + frame(1, 4, 1, hdrs) + frame(0, 1, 1, msg))
    hp, block, headers, data = Hpack(), b"", [], b""
    try:
        while True:
            h = read(9)
            length = int.from_bytes(h[:3], "big")
            ftype, flags, stream = h[3], h[4], int.from_bytes(h[5:9], "big") & 0x7fffffff
            payload = read(length)
            if ftype == 4 and not flags & 1:
                s.sendall(frame(4, 1, 0))
            elif ftype == 6 and not flags & 1:
                s.sendall(frame(6, 1, 0, payload))
            elif ftype == 7:
                raise AssertionError("GOAWAY from the agent")
            elif ftype == 3 and stream == 1:
                raise AssertionError("stream reset by the agent (code %d)" % int.from_bytes(payload, "big"))
            elif ftype == 0 and stream == 1:
                data += payload
            elif ftype in (1, 9) and stream == 1:
                if ftype == 1:
                    if flags & 0x8:
                        payload = payload[1:len(payload) - payload[0]]
                    if flags & 0x20:
                        payload = payload[5:]
                    end_stream = flags & 1
                block += payload
                if flags & 4:
                    headers += hp.decode(block)
                    block = b""
                    if end_stream:
                        break
    finally:
        s.close()
    hd = dict(headers)
    assert "grpc-status" in hd, headers
    return int(hd["grpc-status"]), hd.get("grpc-message"), data


# ---- tests -------------------------------------------------------------------------

def test_regex_bombs_refused_memory_flat():
    """Two streams of the report's pattern each, through tetra and raw gRPC:
    refused with a message, the agent's RSS flat, the agent healthy."""
    refused = len(re.findall(r"GetEvents from .* refused", agent.stderr()))
    rss0 = vmrss_kb(agent.proc.pid)
    procs = [subprocess.Popen([TETRA, "getevents", "--server-address", "unix://" + sock, "--process", BOMB],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=30)
        assert p.returncode == 1, (p.returncode, out, err)
        assert out == "", out
        assert ("allow_list[0].binary_regex[0]: regexp \"%s\": invalid repetition size: {100} (INVALID_ARGUMENT)"
                % BOMB) in err, err
    for _ in range(2):
        code, _, data = raw_get_events(sock, get_events_request([filter_msg(binary_regex=[BOMB_RANGE])]))
        assert code == 3 and data == b"", (code, data)   # INVALID_ARGUMENT, no event
    wait_log(r'GetEvents from .* refused: allow_list\[0\]\.binary_regex\[0\]: regexp \\"%s\\": invalid repetition'
             % re.escape(BOMB_RANGE), 2)
    wait_log(r"GetEvents from .* refused", refused + 4)
    rss1 = vmrss_kb(agent.proc.pid)
    print("     agent RSS %d kB -> %d kB" % (rss0, rss1))
    assert rss1 - rss0 < RSS_BOUND_KB, "agent RSS grew from %d kB to %d kB" % (rss0, rss1)
    assert_healthy()


def test_largest_accepted_filters_memory_bounded():
    """Two open streams with the largest regexps a stream may hold cost little."""
    connected = len(re.findall(r"GetEvents client .* connected", agent.stderr()))
    rss0 = vmrss_kb(agent.proc.pid)
    procs = [subprocess.Popen([TETRA, "getevents", "--server-address", "unix://" + sock,
                               "--process", ",".join([BIG] * 8)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        wait_log(r"GetEvents client .* connected \(1 allow", connected + 2)
        for p in procs:
            assert p.poll() is None, p.stderr.read()
        rss1 = vmrss_kb(agent.proc.pid)
    finally:
        for p in procs:
            p.terminate()
            p.communicate(timeout=30)
    print("     agent RSS %d kB -> %d kB with both streams open" % (rss0, rss1))
    assert rss1 - rss0 < RSS_BOUND_KB, "agent RSS grew from %d kB to %d kB" % (rss0, rss1)
    # 128 of them: each has a 64 KiB share of the request's 8 MiB, too little
    # for this pattern
    r = tetra("getevents", "--process", ",".join([BIG] * 128))
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert ("allow_list[0].binary_regex[0]: pattern too large (compiled program exceeds 64 KiB): this request's "
            "128 regexps share 8 MiB (INVALID_ARGUMENT)") in r.stderr, r.stderr
    r = tetra("getevents", "--process", ",".join(["curl"] * 129))
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "allow_list[0].binary_regex[128]: too many regexps, the limit is 128 per request" in r.stderr, r.stderr
    r = tetra("getevents", "--process", "a" * 4100)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "allow_list[0].binary_regex[0]: pattern is 4100 bytes, the limit is 1024 (INVALID_ARGUMENT)" in r.stderr
    assert_healthy()


def test_unknown_values_refused_over_grpc():
    r = tetra("getevents", "-f", "process.binary,process.binry")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert ("field_filters[0].fields: path \"process.binry\": tetragon.Process has no field \"binry\" "
            "(INVALID_ARGUMENT)") in r.stderr, r.stderr
    r = tetra("getevents", "-e", "UNDEF")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "allow_list[0].event_set[0]: UNDEF is not an event type (INVALID_ARGUMENT)" in r.stderr, r.stderr
    code, _, data = raw_get_events(sock, get_events_request([filter_msg(event_set=[1, 3])]))
    assert code == 3 and data == b"", (code, data)
    wait_log(r"refused: allow_list\[0\]\.event_set\[1\]: unknown event type 3")
    assert_healthy()


def test_bad_flags_stop_the_agent():
    d = tempfile.mkdtemp(prefix="tg-secf-")
    try:
        for flag, value, want in [
                ("--field-filters", '{"fields":"process.binry"}',
                 '--field-filters: line 1: fields: path "process.binry": tetragon.Process has no field "binry"'),
                ("--export-allowlist", '{"event_set":["PROCESS_EXEC"]}\n{"event_set":[3]}',
                 "--export-allowlist: line 2: event_set[0]: unknown event type 3"),
                ("--export-denylist", '{"binary_regex":["%s"]}' % BOMB,
                 '--export-denylist: line 1: binary_regex[0]: regexp "%s": invalid repetition size' % BOMB)]:
            r = subprocess.run([AGENT, "--stdout", "none", "--export-filename", os.path.join(d, "ev.log"),
                                "--server-address", "unix://" + os.path.join(d, "t.sock"), "--info-file", "",
                                flag, value], capture_output=True, text=True, timeout=60)
            assert r.returncode != 0, (flag, r.returncode, r.stderr)
            # the log escapes the message's quotes (logfmt)
            assert want.replace('"', '\\"') in r.stderr, (flag, r.stderr)
            assert "tetragon running" not in r.stderr, r.stderr
    finally:
        shutil.rmtree(d, True)


def test_normal_regex_streams_its_exec():
    """A filter with upstream's syntax (\\d, $) streams the marker's exec and
    nothing it does not match."""
    d = tempfile.mkdtemp(prefix="tg-secf-")
    marker = os.path.join(d, "sec-filter-marker-42")
    other = os.path.join(d, "sec-filter-marker-x")
    shutil.copy("/bin/true", marker)
    shutil.copy("/bin/true", other)
    connected = len(re.findall(r"GetEvents client .* connected", agent.stderr()))
    p = subprocess.Popen([TETRA, "getevents", "--server-address", "unix://" + sock, "-o", "json",
                          "-e", "PROCESS_EXEC", "--process", r"/sec-filter-marker-\d+$"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in p.stdout], daemon=True).start()
    try:
        wait_log(r"GetEvents client .* connected", connected + 1)
        subprocess.run([other], check=True)
        subprocess.run([marker], check=True)
        got = lines.get(timeout=15)
        assert '"binary":"%s"' % marker in got, got
        assert other not in got
    finally:
        p.terminate()
        p.wait(timeout=30)
        p.stderr.close()
        shutil.rmtree(d, True)


def main():
    global agent, sock
    if os.geteuid() != 0:
        print("integration: 0 passed, 0 failed, 1 skipped (needs root)")
        return 0
    # A sanitizer build keeps freed memory resident in its quarantine (up to
    # 256 MB), which is not the agent's and would drown what the RSS checks
    # measure; use-after-free detection stays on in every other test.
    os.environ["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0") +
                                  ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0")
    agent = Agent()
    sock = os.path.join(agent.dir, "tetragon.sock")
    tests = [
        test_regex_bombs_refused_memory_flat,
        test_largest_accepted_filters_memory_bounded,
        test_unknown_values_refused_over_grpc,
        test_bad_flags_stop_the_agent,
        test_normal_regex_streams_its_exec,
    ]
    try:
        rc = run_tests(tests)
    finally:
        code = agent.stop()
    if code != 0:
        print("FAIL agent exit code %d\n%s" % (code, agent.stderr()))
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
