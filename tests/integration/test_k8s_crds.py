#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The CustomResourceDefinitions under install/kubernetes/crds: generated from
their table (gen-crds.py --check), parse as CustomResourceDefinitions with
upstream's group, version, kinds and names, and their schema accepts, with
nothing pruned, every policy of tests/policy/good (what the agent accepts,
kept as the API server would store it) and refuses what the API server
would refuse (wrong types, unknown enum values, missing required fields)."""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Skip, run_tests  # noqa: E402

CRDS = os.path.join(ROOT, "install", "kubernetes", "crds")

try:
    import yaml
except ImportError:      # python3-yaml (scripts/install-deps.sh)
    yaml = None


def load(name):
    if yaml is None:
        raise Skip("no python3-yaml")
    with open(os.path.join(CRDS, name)) as f:
        return yaml.safe_load(f)


def validate(schema, v, path, errs):
    """The structural checks of an OpenAPI v3 schema the API server applies, pruning reported as errors."""
    t = schema.get("type")
    if v is None:
        return
    ok = {"object": isinstance(v, dict), "array": isinstance(v, list), "string": isinstance(v, str),
          "boolean": isinstance(v, bool), "integer": isinstance(v, int) and not isinstance(v, bool)}.get(t, True)
    if not ok:
        errs.append("%s: want %s, got %r" % (path, t, v))
        return
    if "enum" in schema and v not in schema["enum"]:
        # another case of an enum value: an alias the agent's file reader takes, as upstream's does
        # (the API server refuses it in a custom resource, as it does upstream's)
        alias = any(isinstance(v, str) and v.lower() == e.lower() for e in schema["enum"])
        errs.append("%s: %r is not one of the enum%s" % (path, v, " (alias)" if alias else ""))
    if "minimum" in schema and v < schema["minimum"]:
        errs.append("%s: below minimum" % path)
    if "maxItems" in schema and len(v) > schema["maxItems"]:
        errs.append("%s: more than %d items" % (path, schema["maxItems"]))
    if "maxLength" in schema and len(v) > schema["maxLength"]:
        errs.append("%s: longer than %d" % (path, schema["maxLength"]))
    if "pattern" in schema and not re.search(schema["pattern"], v):
        errs.append("%s: does not match %s" % (path, schema["pattern"]))
    if t == "object":
        for r in schema.get("required", []):
            # the API server fills defaults before it validates
            if r not in v and "default" not in schema.get("properties", {}).get(r, {}):
                errs.append("%s: %s is required" % (path, r))
        props = schema.get("properties")
        for k, x in v.items():
            if props is not None and k in props:
                validate(props[k], x, path + "." + k, errs)
            elif "additionalProperties" in schema:
                validate(schema["additionalProperties"], x, "%s[%s]" % (path, k), errs)
            elif props is not None and path != "metadata":
                errs.append("%s.%s: unknown field (the API server would prune it)" % (path, k))
    if t == "array":
        for n, x in enumerate(v):
            validate(schema["items"], x, "%s[%d]" % (path, n), errs)


def schema_of(doc):
    return doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def test_generated():
    r = subprocess.run([sys.executable, os.path.join(CRDS, "gen-crds.py"), "--check"], stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr.decode()


def test_names():
    for name, kind, plural, scope, short in (
            ("cilium.io_tracingpolicies.yaml", "TracingPolicy", "tracingpolicies", "Cluster", "tgtp"),
            ("cilium.io_tracingpoliciesnamespaced.yaml", "TracingPolicyNamespaced", "tracingpoliciesnamespaced",
             "Namespaced", "tgtpn")):
        d = load(name)
        assert d["apiVersion"] == "apiextensions.k8s.io/v1" and d["kind"] == "CustomResourceDefinition"
        assert d["metadata"]["name"] == plural + ".cilium.io"
        sp = d["spec"]
        assert sp["group"] == "cilium.io" and sp["scope"] == scope
        assert sp["names"] == {"categories": ["tetragon"], "kind": kind, "listKind": kind + "List", "plural": plural,
                               "shortNames": [short], "singular": plural[:-3] + "y" if plural.endswith("ies")
                               else "tracingpolicynamespaced"}, sp["names"]
        v = sp["versions"]
        assert len(v) == 1 and v[0]["name"] == "v1alpha1" and v[0]["served"] and v[0]["storage"]
        assert schema_of(d)["required"] == ["metadata", "spec"]


def test_good_policies_fit():
    """Every policy the agent's tests accept fits the schema unpruned (none of its fields would be lost)."""
    crds = {"TracingPolicy": schema_of(load("cilium.io_tracingpolicies.yaml")),
            "TracingPolicyNamespaced": schema_of(load("cilium.io_tracingpoliciesnamespaced.yaml"))}
    n = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "policy", "good", "*.yaml"))):
        # lower-case operator aliases: accepted in files, as upstream's YAML reader does; the API server's
        # enums refuse them in custom resources, as upstream's CRD does
        if os.path.basename(path) == "aliases.yaml":
            continue
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if not isinstance(doc, dict) or doc.get("kind") not in crds:
                    continue
                errs = []
                validate(crds[doc["kind"]], doc, "", errs)
                errs = [e for e in errs if not e.endswith("(alias)")]
                assert not errs, "%s: %s" % (os.path.basename(path), errs)
                n += 1
    assert n >= 6, n


def test_refused():
    s = schema_of(load("cilium.io_tracingpolicies.yaml"))
    for spec, want in (({"kprobes": [{"syscall": True}]}, "call is required"),
                       ({"kprobes": [{"call": "x", "syscall": "yes"}]}, "want boolean"),
                       ({"kprobes": [{"call": "x", "args": [{"index": 0, "type": "integer"}]}]}, "enum"),
                       ({"kprobes": [{"call": "x", "selectors": [{"matchBinaries": [
                           {"operator": "In", "values": ["a"]}, {"operator": "In", "values": ["b"]}]}]}]},
                        "more than 1 items"),
                       ({"kprobes": [{"call": "x", "tags": ["t"] * 17}]}, "more than 16 items"),
                       ({"podSelector": {"matchLabels": {"app": "-bad-"}}}, "does not match"),
                       ({"tracepoints": [{"subsystem": "s"}]}, "event is required")):
        errs = []
        validate(s, {"apiVersion": "cilium.io/v1alpha1", "kind": "TracingPolicy", "metadata": {"name": "x"},
                     "spec": spec}, "", errs)
        assert any(want in e for e in errs), (spec, errs)


if __name__ == "__main__":
    sys.exit(run_tests([test_generated, test_names, test_good_policies_fit, test_refused]))
