#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Upstream's configuration: defaults, --config-dir drop-ins, a YAML file,
TETRAGON_* environment variables and the command line in upstream's order;
upstream flags not built yet accepted with a warning (or refused where
ignoring them would be unsafe); misspelt flags refused with a suggestion;
configuration another user can write refused."""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import AGENT, Agent, Skip, execs, require_root, run_tests  # noqa: E402

TMP = tempfile.mkdtemp(prefix="tg-config-")
if not os.environ.get("TG_KEEP_TEST_DIRS"):
    atexit.register(shutil.rmtree, TMP, True)


def marker(name):
    path = os.path.join(TMP, name)
    shutil.copy("/bin/true", path)
    os.chmod(path, 0o755)
    return path


def exec_of(agent, path):
    subprocess.run([path])
    return agent.wait_for(execs(path), what="exec of " + path)["process_exec"]["process"]


def conf_dir(name, settings):
    d = os.path.join(TMP, name)
    os.mkdir(d, 0o755)
    for k, v in settings.items():
        with open(os.path.join(d, k), "w") as f:
            f.write(v + "\n")
    return d


def run_agent(*args, env=None):
    """An agent that is expected to stop at once (bad flags)."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([AGENT, "--server-address", "", "--server-socket", "", "--info-file", ""] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, env=e,
                          stdin=subprocess.DEVNULL)


def test_upstream_defaults_leave_out_cred_and_ns():
    require_root()
    a = Agent()
    try:
        p = exec_of(a, marker("defaults"))
        for k in ("cap", "ns", "process_credentials"):
            assert k not in p, "%s is on by default: %s" % (k, p[k])
    finally:
        assert a.stop() == 0


def test_config_dir_environment_and_command_line_precedence():
    require_root()
    d = conf_dir("confd", {"enable-process-cred": "true", "enable-process-ns": "false",
                           "rb-size": "16M", "log-level": "warn"})
    # environment beats the directory; the command line beats both
    os.environ["TETRAGON_ENABLE_PROCESS_NS"] = "true"
    os.environ["TETRAGON_LOG_LEVEL"] = "error"
    try:
        a = Agent("--config-dir", d, "--log-level", "info")
    finally:
        del os.environ["TETRAGON_ENABLE_PROCESS_NS"]
        del os.environ["TETRAGON_LOG_LEVEL"]
    try:
        p = exec_of(a, marker("confdir"))
        assert "process_credentials" in p and "cap" in p, "enable-process-cred from the directory was not applied"
        assert "ns" in p, "TETRAGON_ENABLE_PROCESS_NS did not beat the directory"
        assert "tetragon running" in a.stderr(), "--log-level info on the command line lost"
    finally:
        assert a.stop() == 0


def test_config_file_yaml():
    require_root()
    y = os.path.join(TMP, "tetragon.yaml")
    with open(y, "w") as f:
        f.write("enable-process-ns: true\nmetrics-label-filter: [binary, namespace]\nenable-pod-info: false\n")
    a = Agent("--config-file", y)
    try:
        p = exec_of(a, marker("yamlfile"))
        assert "ns" in p and "cap" not in p, p
        assert "--enable-pod-info is an upstream Tetragon flag this agent does not implement yet" in a.stderr()
    finally:
        assert a.stop() == 0


def test_bad_values_name_their_source():
    require_root()
    d = conf_dir("badconfd", {"rb-size": "lots"})
    r = run_agent("--config-dir", d)
    err = r.stderr.decode()
    assert r.returncode != 0 and '--rb-size: invalid number "lots"' in err, err
    assert "set by %s/rb-size" % d in err, err
    r = run_agent(env={"TETRAGON_EXPORT_FILE_MAX_SIZE_MB": "-3"})
    err = r.stderr.decode()
    assert r.returncode != 0 and "environment variable TETRAGON_EXPORT_FILE_MAX_SIZE_MB" in err, err
    y = os.path.join(TMP, "bad.yaml")
    with open(y, "w") as f:
        f.write("rb-size: [1, {a: b}]\n")
    r = run_agent("--config-file", y)
    assert r.returncode != 0 and "%s:1:1:" % y in r.stderr.decode(), r.stderr.decode()


def test_flags_upstream_misspelt_and_refused():
    require_root()
    r = run_agent("--export-file-max-sizemb", "3")
    err = r.stderr.decode()
    assert r.returncode != 0 and "did you mean --export-file-max-size-mb?" in err, err
    r = run_agent("--export-file-max-size", "3")	# a prefix is not the flag
    assert r.returncode != 0 and "did you mean --export-file-max-size-mb?" in r.stderr.decode()
    # a redaction filter that would redact nothing stops the agent, whatever the source
    # (tests/integration/test_ops_flags.py has the rest)
    r = run_agent("--redaction-filters={}")
    err = r.stderr.decode()
    assert r.returncode != 0 and 'filter 1: no \\"redact\\" regexps' in err, err
    r = run_agent(env={"TETRAGON_REDACTION_FILTERS": "{}"})
    assert r.returncode != 0 and 'filter 1: no \\"redact\\" regexps' in r.stderr.decode()
    # TLS is built (tests/integration/test_tls.py): a half configuration stops the agent, whatever the source
    r = run_agent(env={"TETRAGON_SERVER_TLS_KEY_FILE": "/x"})
    err = r.stderr.decode()
    assert r.returncode != 0 and "--server-tls-key-file is set without --server-tls-cert-file" in err, err


def test_configuration_others_can_write_is_refused():
    require_root()
    d = conf_dir("sharedconf", {"enable-process-cred": "true"})
    os.chmod(d, 0o777)
    r = run_agent("--config-dir", d)
    err = r.stderr.decode()
    assert r.returncode != 0 and "configuration directory refused" in err, err
    os.chmod(d, 0o755)
    os.chown(os.path.join(d, "enable-process-cred"), 65534, 65534)
    r = run_agent("--config-dir", d)
    err = r.stderr.decode()
    assert r.returncode != 0 and "configuration file refused" in err and "65534" in err, err


def test_etc_tetragon_read_unless_told_not_to():
    require_root()
    if os.path.exists("/etc/tetragon"):
        raise Skip("/etc/tetragon exists on this machine: not ours to change")
    os.makedirs("/etc/tetragon/tetragon.conf.d", 0o755)
    try:
        os.chmod("/etc/tetragon", 0o755)
        with open("/etc/tetragon/tetragon.conf.d/enable-process-ns", "w") as f:
            f.write("true\n")
        with open("/etc/tetragon/tetragon.yaml", "w") as f:
            f.write("enable-process-cred: true\n")
        a = Agent(system_config=True)
        try:
            p = exec_of(a, marker("etc-read"))
            assert "ns" in p and "cap" in p, "/etc/tetragon was not read: %s" % sorted(p)
        finally:
            assert a.stop() == 0
        a = Agent()	# TETRAGON_READ_SYSTEM_CONFIG=false
        try:
            p = exec_of(a, marker("etc-skipped"))
            assert "ns" not in p and "cap" not in p, "/etc/tetragon was read"
        finally:
            assert a.stop() == 0
    finally:
        shutil.rmtree("/etc/tetragon", True)


if __name__ == "__main__":
    sys.exit(run_tests([
        test_upstream_defaults_leave_out_cred_and_ns,
        test_config_dir_environment_and_command_line_precedence,
        test_config_file_yaml,
        test_bad_values_name_their_source,
        test_flags_upstream_misspelt_and_refused,
        test_configuration_others_can_write_is_refused,
        test_etc_tetragon_read_unless_told_not_to,
    ]))
