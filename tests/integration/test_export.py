#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The JSON export under trouble, with the real agent: a filesystem that
fills up and gets space again (a small tmpfs), and an export file deleted,
moved away, or whose directory is removed or moved. Every event is counted
as written or lost, the file holds exactly the written ones, the log says
when export starts failing and when it works again, and a file that went
away is opened again at its path within a tick."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Agent, HELPERS, exec_with_args, require_root, run_tests, free_port, metric_key,  # noqa: E402
                     scrape_metrics)

STORM = os.path.join(HELPERS, "exec_storm")


def wait_log(a, text, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in a.stderr():
            return
        if a.proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("no %r in the log:\n%s" % (text, a.stderr()[-3000:]))


def lines_of(path):
    with open(path, "rb") as f:
        data = f.read()
    assert not data or data.endswith(b"\n"), "the file ends with a torn line"
    return [json.loads(line) for line in data.splitlines()]


def exported_total(port):
    v = scrape_metrics(port).get(metric_key("tetragon_events_exported_total"))
    assert v is not None, "no tetragon_events_exported_total"
    return int(v)


def marker_event(path, marker, timeout=10):
    """Run /bin/true MARKER until its exec event is in the file at path."""
    deadline = time.time() + timeout
    pred = exec_with_args("/bin/true", marker)
    while time.time() < deadline:
        subprocess.run(["/bin/true", marker], check=True)
        t = time.time() + 1.5
        while time.time() < t:
            if os.path.exists(path) and any(pred(e) for e in lines_of(path)):
                return
            time.sleep(0.05)
    raise AssertionError("%s never reached %s" % (marker, path))


def test_full_filesystem_accounting():
    """A tmpfs the export fills: every event counted once, as written or
    lost; the file holds exactly the written ones, whole; the exported
    metric never runs ahead of the file; one warning when it starts
    failing, one when space comes back, with the events lost meanwhile."""
    require_root()
    mnt = tempfile.mkdtemp(prefix="tg-export-full-")
    subprocess.check_call(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", mnt])
    a = None
    try:
        # leave ~256 KiB: each process is two events of ~4.5 KB
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * (8 * 1024 * 1024 - 256 * 1024))
        export = os.path.join(mnt, "events.log")
        port = free_port()
        a = Agent("--export-filename", export, "--metrics-server", "127.0.0.1:%d" % port)
        a.export = export
        subprocess.check_call([STORM, "300"], stdout=subprocess.DEVNULL)
        wait_log(a, "sink json-file: writing to the export file failed: No space left on device")
        # the metric never says more than the file holds
        before = exported_total(port)
        in_file = len(lines_of(export))
        assert before <= in_file, (before, in_file)
        # and catches up with it (the page is published once a second)
        deadline = time.time() + 10
        while exported_total(port) < in_file:
            assert time.time() < deadline, "tetragon_events_exported_total never reached the file's lines"
            time.sleep(0.1)

        os.unlink(filler)
        marker = "tg-export-space-again-%d" % os.getpid()
        marker_event(export, marker)
        wait_log(a, "sink json-file: writing to the export file works again after")
        a.stop()
        log = a.stderr()
        produced = int(re.search(r"stats: events=(\d+)", log).group(1))
        m = re.search(r"sink json-file: (\d+) events written, (\d+) lost \(of (\d+) events", log)
        assert m, log[-2000:]
        written, lost = int(m.group(1)), int(m.group(2))
        assert written + lost == produced, (written, lost, produced)
        assert lost > 0
        events = lines_of(export)
        assert len(events) == written, (len(events), written)
        # each spell: one warning when it starts, one when it ends, saying what it lost
        started = log.count("writing to the export file failed: No space left on device")
        recovered = [int(n) for n in re.findall(r"works again after [0-9.]+ s; (\d+) event\(s\) were lost", log)]
        assert started >= 1 and len(recovered) in (started, started - 1), (started, recovered)
        if len(recovered) == started:
            assert sum(recovered) == lost, (recovered, lost)
        else:
            assert sum(recovered) < lost
    finally:
        if a:
            a.stop()
        subprocess.call(["umount", mnt])
        os.rmdir(mnt)


def test_deleted_export_file_reopened():
    require_root()
    a = Agent()
    try:
        marker_event(a.export, "tg-export-before-delete")
        os.unlink(a.export)
        marker_event(a.export, "tg-export-after-delete")
        assert "was deleted: opened it again, events continue there" in a.stderr()
    finally:
        a.stop()


def test_moved_export_file_reopened():
    require_root()
    a = Agent()
    try:
        marker_event(a.export, "tg-export-before-move")
        moved = a.export + ".moved"
        os.rename(a.export, moved)
        marker_event(a.export, "tg-export-after-move")
        assert "was moved away or replaced: opened it again, events continue there" in a.stderr()
        assert not any(exec_with_args("/bin/true", "tg-export-after-move")(e) for e in lines_of(moved))
    finally:
        a.stop()


def test_export_directory_removed_or_moved():
    """The directory goes (rm -r) or is renamed: resolved again, created
    again with the file, events continue at the original path."""
    require_root()
    d = tempfile.mkdtemp(prefix="tg-export-dir-")
    sub = os.path.join(d, "sub", "deeper")
    export = os.path.join(sub, "events.log")
    a = Agent("--export-filename", export)
    a.export = export
    try:
        marker_event(export, "tg-export-dir-before")
        shutil.rmtree(os.path.join(d, "sub"))
        marker_event(export, "tg-export-dir-removed")
        os.rename(os.path.join(d, "sub"), os.path.join(d, "sub.moved"))
        marker_event(export, "tg-export-dir-moved")
        assert "lost its directory (removed, moved or replaced): opened it again" in a.stderr()
    finally:
        a.stop()
        shutil.rmtree(d, True)


def test_grpc_stream_flows_during_a_flood():
    """A GetEvents client gets events while a policy floods the agent, not
    only once the flood stops: the hub kicks an idle stream every few events
    instead of waiting for the event loop's next flush, which a ring buffer
    that never empties delays for as long as the flood lasts."""
    require_root()
    storm = os.path.realpath(os.path.join(HELPERS, "getppid_storm"))
    d = tempfile.mkdtemp(prefix="tg-export-flood-")
    policy = os.path.join(d, "getppid.yaml")
    with open(policy, "w") as f:
        f.write("""apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: export-flood
spec:
  kprobes:
  - call: sys_getppid
    syscall: true
    selectors:
    - matchBinaries:
      - operator: In
        values: ["%s"]
""" % storm)
    a = Agent("--tracing-policy", policy, "--enable-process-cred=false", "--enable-process-ns=false")
    client = None
    try:
        sock = "unix://" + os.path.join(a.dir, "tetragon.sock")
        out = open(os.path.join(d, "stream.json"), "wb")
        tetra = os.path.join(os.path.dirname(HELPERS), "..", "bin", "tetra")
        client = subprocess.Popen([tetra, "getevents", "-o", "json", "--server-address", sock],
                                  stdout=out, stderr=subprocess.DEVNULL)
        wait_log(a, "GetEvents client")
        subprocess.run([storm, "3"], check=True, stdout=subprocess.DEVNULL)
        # counted the moment the flood ends, before any drain afterwards
        with open(os.path.join(d, "stream.json"), "rb") as f:
            during = f.read().count(b'"process_kprobe"')
        assert during >= 1000, "only %d policy events reached the client during the flood" % during
    finally:
        if client:
            client.terminate()
            client.wait()
        a.stop()
        shutil.rmtree(d, True)


if __name__ == "__main__":
    sys.exit(run_tests([
        test_full_filesystem_accounting,
        test_deleted_export_file_reopened,
        test_moved_export_file_reopened,
        test_export_directory_removed_or_moved,
        test_grpc_stream_flows_during_a_flood,
    ]))
