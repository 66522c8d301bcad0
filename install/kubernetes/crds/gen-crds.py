#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the TracingPolicy and TracingPolicyNamespaced CustomResourceDefinitions
(cilium.io/v1alpha1, the group, version, kinds, names and OpenAPI v3 schema
upstream Tetragon's CRDs have) from the type table below.

    install/kubernetes/crds/gen-crds.py            write the two YAML files
    install/kubernetes/crds/gen-crds.py --check    exit 1 if they are stale

The table follows upstream's types field by field (names, types, enums,
defaults, required fields, bounds and validation rules); descriptions are
left out. Edit the table, then run this script."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def s(**kw):
    return dict(type="string", **kw)


def b(default=None):
    return dict(type="boolean", **({} if default is None else {"default": default}))


def i32(minimum=None):
    return dict(type="integer", format="int32", **({} if minimum is None else {"minimum": minimum}))


def i64():
    return dict(type="integer", format="int64")


def arr(items, **kw):
    return dict(type="array", items=items, **kw)


def obj(props, required=None, **kw):
    o = dict(type="object", properties=props)
    if required:
        o["required"] = sorted(required)
    o.update(kw)
    return o


def rule(expr, message):
    return {"rule": expr, "message": message}


def at_most_one(*fields):
    """A CEL rule: no two of the fields are set."""
    pairs = ["!(has(self.%s) && has(self.%s))" % (a, c) for n, a in enumerate(fields) for c in fields[n + 1:]]
    return " && ".join(pairs)


ARG_TYPES = ["auto", "int", "sint8", "int8", "uint8", "sint16", "int16", "uint16", "uint32", "sint32", "int32",
             "ulong", "uint64", "size_t", "long", "sint64", "int64", "char_buf", "char_iovec", "skb", "sock",
             "sockaddr", "socket", "sockaddr_un", "string", "fd", "file", "filename", "path", "nop", "bpf_attr",
             "perf_event", "bpf_map", "user_namespace", "capability", "kiocb", "iov_iter", "cred", "const_buf",
             "load_info", "module", "syscall64", "kernel_cap_t", "cap_inheritable", "cap_permitted",
             "cap_effective", "linux_binprm", "data_loc", "net_device", "bpf_cmd", "dentry", "bpf_prog"]
ARG_OPERATORS = ["Equal", "NotEqual", "Prefix", "NotPrefix", "Postfix", "NotPostfix", "GreaterThan", "LessThan",
                 "GT", "LT", "Mask", "SPort", "NotSPort", "SPortPriv", "NotSportPriv", "DPort", "NotDPort",
                 "DPortPriv", "NotDPortPriv", "SAddr", "NotSAddr", "DAddr", "NotDAddr", "Protocol", "Family",
                 "State", "InMap", "NotInMap", "CapabilitiesGained", "InRange", "NotInRange", "SubString",
                 "SubStringIgnCase", "CelExpr", "FileType", "NotFileType"]
ACTIONS = ["Post", "Sigkill", "Override", "GetUrl", "DnsLookup", "NoPost", "Signal", "TrackSock", "UntrackSock",
           "NotifyEnforcer", "CleanupEnforcerNotification", "Set"]
NAMESPACES = ["Uts", "Ipc", "Mnt", "Pid", "PidForChildren", "Net", "Time", "TimeForChildren", "Cgroup", "User"]
IN_NOTIN = ["In", "NotIn"]
BINARY_OPERATORS = ["In", "NotIn", "Prefix", "NotPrefix", "Postfix", "NotPostfix"]

ARG = obj({
    "index": i32(0), "type": s(enum=ARG_TYPES, default="auto"), "sizeArgIndex": i32(0),
    "returnCopy": b(False), "maxData": b(False), "label": s(), "resolve": s(default=""), "btfType": s(),
    "btfTypeModule": s(), "source": s(),
}, required=["index", "type"])

LABEL_SELECTOR = obj({
    "matchLabels": dict(type="object", additionalProperties=s(
        maxLength=63, pattern="^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")),
    "matchExpressions": arr(obj({
        "key": s(), "operator": s(enum=["In", "NotIn", "Exists", "DoesNotExist"]),
        "values": arr(s(), **{"x-kubernetes-list-type": "atomic"}),
    }, required=["key", "operator"]), **{"x-kubernetes-list-type": "atomic"}),
}, **{"x-kubernetes-map-type": "atomic"})

HOST_SELECTOR = dict(LABEL_SELECTOR, **{"x-kubernetes-validations": [
    rule("!has(self.matchLabels) && !has(self.matchExpressions)", "hostSelector may only be null or {}")]})

ARG_SELECTOR = obj({"index": i32(0), "args": arr(i32(0)), "operator": s(enum=ARG_OPERATORS), "values": arr(s())},
                   required=["operator"])
ACTION_SELECTOR = obj({
    "action": s(enum=ACTIONS), "argFqdn": s(), "argUrl": s(), "argError": i32(), "argSig": i32(),
    "argSock": i32(), "argRegs": arr(s()), "argNewSymbol": s(), "argNewAddr": i64(), "argNewOffset": i64(),
    "argIndex": i32(), "argValue": i32(), "kernelStackTrace": b(), "userStackTrace": b(), "imaHash": b(),
    "rateLimit": s(), "rateLimitScope": s(),
}, required=["action"], **{"x-kubernetes-validations": [
    rule(at_most_one("argNewSymbol", "argNewAddr", "argNewOffset"),
         "an override gives at most one of argNewSymbol, argNewAddr and argNewOffset")]})
BINARY_SELECTOR = obj({"operator": s(enum=BINARY_OPERATORS), "values": arr(s()), "followChildren": b(False)},
                      required=["operator", "values"])
CAPS_SELECTOR = obj({"type": s(enum=["Effective", "Inheritable", "Permitted"], default="Effective"),
                     "operator": s(enum=IN_NOTIN), "isNamespaceCapability": b(False), "values": arr(s())},
                    required=["operator", "values"])

SELECTOR = obj({
    "macros": arr(s()),
    "label": s(),
    "matchPIDs": arr(obj({"operator": s(enum=IN_NOTIN), "values": arr(i32()), "isNamespacePID": b(False),
                          "followForks": b(False)}, required=["operator", "values"])),
    "matchArgs": arr(ARG_SELECTOR),
    "matchData": arr(ARG_SELECTOR),
    "matchReturnArgs": arr(ARG_SELECTOR),
    "matchActions": arr(ACTION_SELECTOR),
    "matchReturnActions": arr(ACTION_SELECTOR),
    "matchBinaries": arr(BINARY_SELECTOR, maxItems=1),
    "matchParentBinaries": arr(BINARY_SELECTOR, maxItems=1),
    "matchNamespaces": arr(obj({"namespace": s(enum=NAMESPACES), "operator": s(enum=IN_NOTIN), "values": arr(s())},
                               required=["namespace", "operator", "values"])),
    "matchNamespaceChanges": arr(obj({"operator": s(enum=IN_NOTIN), "values": arr(s())},
                                     required=["operator", "values"])),
    "matchCapabilities": arr(CAPS_SELECTOR),
    "matchCapabilityChanges": arr(CAPS_SELECTOR),
    "matchWorkloads": obj({"podSelector": LABEL_SELECTOR, "containerSelector": LABEL_SELECTOR,
                           "hostSelector": HOST_SELECTOR}),
})

TAGS = arr(s(), maxItems=16)
RETURN_RULE = rule("!has(self.return) || (!self.return || has(self.returnArg))", "return: true needs a returnArg")

KPROBE = obj({
    "call": s(), "syscall": b(True), "return": b(False), "message": s(), "args": arr(ARG), "data": arr(ARG),
    "returnArg": ARG, "returnArgAction": s(), "selectors": arr(SELECTOR), "tags": TAGS,
    "ignore": obj({"callNotFound": b()}),
}, required=["call"], **{"x-kubernetes-validations": [RETURN_RULE]})

SPEC = obj({
    "kprobes": arr(KPROBE),
    "tracepoints": arr(obj({"subsystem": s(), "event": s(), "raw": b(), "message": s(), "args": arr(ARG),
                            "selectors": arr(SELECTOR), "tags": TAGS}, required=["subsystem", "event"])),
    "loader": b(),
    "uprobes": arr(obj({
        "path": s(), "btfPath": s(), "symbols": arr(s()), "offsets": arr(i64()), "refCtrOffsets": arr(i64()),
        "addrs": arr(i64()), "return": b(False), "message": s(), "args": arr(ARG), "data": arr(ARG),
        "returnArg": ARG, "selectors": arr(SELECTOR), "tags": TAGS, "binaryDigests": arr(s()),
        "ignore": obj({"digestVerificationFailure": b()}),
    }, required=["path"], **{"x-kubernetes-validations": [
        rule(at_most_one("symbols", "addrs", "offsets"), "a uprobe gives at most one of symbols, addrs and offsets"),
        RETURN_RULE]})),
    "lsmhooks": arr(obj({"hook": s(), "message": s(), "args": arr(ARG), "selectors": arr(SELECTOR),
                         "tags": TAGS}, required=["hook"])),
    "usdts": arr(obj({"path": s(), "btfPath": s(), "provider": s(), "name": s(), "message": s(),
                      "args": arr(ARG), "selectors": arr(SELECTOR), "tags": TAGS},
                     required=["path", "provider", "name"])),
    "fentries": arr(KPROBE),
    "podSelector": LABEL_SELECTOR,
    "containerSelector": LABEL_SELECTOR,
    "hostSelector": HOST_SELECTOR,
    "nodeSelector": LABEL_SELECTOR,
    "lists": arr(obj({"name": s(), "type": s(enum=["syscalls", "generated_syscalls", "generated_ftrace"]),
                      "values": arr(s()), "pattern": s(), "validated": b()}, required=["name"])),
    "options": arr(obj({"name": s(), "value": s()}, required=["name"])),
    "enforcers": arr(obj({"calls": arr(s())}, required=["calls"])),
    "selectorsMacros": dict(type="object", additionalProperties=SELECTOR),
})


def crd(kind, plural, singular, short, scope, root_rules=None):
    schema = obj({"apiVersion": s(), "kind": s(), "metadata": dict(type="object"), "spec": SPEC},
                 required=["metadata", "spec"])
    if root_rules:
        schema["x-kubernetes-validations"] = root_rules
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "%s.cilium.io" % plural},
        "spec": {
            "group": "cilium.io",
            "names": {"categories": ["tetragon"], "kind": kind, "listKind": kind + "List", "plural": plural,
                      "shortNames": [short], "singular": singular},
            "scope": scope,
            "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                          "schema": {"openAPIV3Schema": schema}}],
        },
    }


CRDS = {
    "cilium.io_tracingpolicies.yaml": crd("TracingPolicy", "tracingpolicies", "tracingpolicy", "tgtp", "Cluster"),
    "cilium.io_tracingpoliciesnamespaced.yaml": crd(
        "TracingPolicyNamespaced", "tracingpoliciesnamespaced", "tracingpolicynamespaced", "tgtpn", "Namespaced",
        [rule("!has(self.spec.hostSelector)", "a TracingPolicyNamespaced has no spec.hostSelector")]),
}


def to_yaml(v, indent=0):
    """Block YAML of plain data: keys sorted, every string JSON-quoted (JSON strings are YAML)."""
    pad = "  " * indent
    out = []
    if isinstance(v, dict):
        for k in sorted(v):
            x = v[k]
            if isinstance(x, (dict, list)) and x:
                out.append("%s%s:" % (pad, k))
                out.append(to_yaml(x, indent + 1))
            else:
                out.append("%s%s: %s" % (pad, k, scalar(x)))
    else:
        for x in v:
            if isinstance(x, (dict, list)) and x:
                sub = to_yaml(x, indent + 1).splitlines()
                out.append("%s- %s" % (pad, sub[0].lstrip()))
                out.extend(sub[1:])
            else:
                out.append("%s- %s" % (pad, scalar(x)))
    return "\n".join(out)


def scalar(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, dict):
        return "{}"
    if isinstance(x, list):
        return "[]"
    return json.dumps(x)


def render(doc):
    return ("# SPDX-License-Identifier: Apache-2.0\n# Generated by install/kubernetes/crds/gen-crds.py: "
            "edit its table, not this file.\n---\n" + to_yaml(doc) + "\n")


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, doc in CRDS.items():
        path = os.path.join(HERE, name)
        text = render(doc)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            if check:
                stale.append(name)
            else:
                with open(path, "w") as f:
                    f.write(text)
    if stale:
        print("stale (run install/kubernetes/crds/gen-crds.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
