/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Limits a TracingPolicy must respect. Each value was checked against the
 * upstream Tetragon tree (cilium/tetragon @ 4fbfe2d74); the comment says
 * where upstream enforces it, or where its BPF side would silently truncate
 * when upstream's Go code does not check. Paths are relative to that tree.
 */
#ifndef TG_POLICY_LIMITS_H
#define TG_POLICY_LIMITS_H

/*
 * Selectors per hook. pkg/selectors/selectors.go (MaxSelectors) and the
 * check at the top of createKernelSelectorState in pkg/selectors/kernel.go.
 */
#define TP_MAX_SELECTORS 5

/*
 * Actions per selector (matchActions, and separately matchReturnActions).
 * ParseMatchActions in pkg/selectors/kernel.go refuses more than three; the
 * BPF side has the same bound (MAX_ACTIONS, bpf/process/types/basic.h).
 */
#define TP_MAX_ACTIONS 3

/*
 * Arguments per hook, counting args and data together. EventConfigMaxArgs in
 * pkg/api/tracingapi/client_kprobe.go; addKprobe (generickprobe.go) and the
 * tracepoint EventConfig refuse more; USDT checks its args against it too.
 */
#define TP_MAX_ARGS 5

/*
 * Highest function argument position a kprobe, fentry, uprobe or LSM
 * argument may name: addKprobe / getUprobeArgConfig / validateLsmArg reject
 * "index > 4" (the BPF programs read a0..a4).
 */
#define TP_MAX_ARG_INDEX 4

/* Raw tracepoints: validateRawTracepointArg rejects an index above 5. */
#define TP_MAX_RAW_TP_ARG_INDEX 5

/*
 * sizeArgIndex is the 1-based position of the size argument. getMetaValue
 * (pkg/sensors/tracing/args_linux.go) only refuses values above 15, but the
 * BPF reader get_arg_meta (bpf/process/types/basic.h) maps 1..5 to the first
 * five function arguments and yields 0 for anything else, so 6..15 would
 * silently read a zero size. For kprobe-like hooks we therefore accept 1..5.
 */
#define TP_MAX_SIZE_ARG_INDEX 5

/*
 * matchArgs + matchData filters in one selector: ParseMatchArgs
 * (pkg/selectors/kernel.go) allows five on large-program kernels.
 */
#define TP_MAX_MATCH_ARGS 5

/*
 * Values of a numeric/capability Equal, NotEqual, GT, LT, Mask, InRange,
 * NotInRange, FileType or NotFileType filter: writeMatchValues and
 * writeMatchValuesRange (pkg/selectors/kernel.go), matching MAX_MATCH_VALUES
 * in bpf/process/types/basic.h. String, prefix, postfix and map operators
 * use BPF maps and have no such bound.
 */
#define TP_MAX_MATCH_VALUES 4

/*
 * PID values in one matchPIDs entry. Upstream's Go code does not check, but
 * selector_match in bpf/process/pfilter.h only looks at the first four
 * (MAX_SELECTOR_VALUES), so a fifth value would be silently ignored.
 */
#define TP_MAX_PID_VALUES 4

/*
 * matchNamespaces: at most four values per entry (namespaceSelectorValue)
 * and ten entries per selector on large-program kernels
 * (ParseMatchNamespaces), both in pkg/selectors/kernel.go.
 */
#define TP_MAX_NS_VALUES 4
#define TP_MAX_NS_FILTERS 10

/* matchNamespaceChanges: ParseMatchNamespaceChanges accepts one entry. */
#define TP_MAX_NS_CHANGES 1

/*
 * matchBinaries / matchParentBinaries: one entry per selector (CRD
 * MaxItems=1 in pkg/k8s/apis/cilium.io/v1alpha1/types.go, and
 * ParseMatchBinaries). In/NotIn paths must be shorter than
 * BINARY_PATH_MAX_LEN (256, pkg/api/processapi/processapi.go).
 */
#define TP_MAX_MATCH_BINARIES 1
#define TP_MAX_BINARY_PATH 255

/*
 * Prefix values may be 256 bytes (StringPrefixMaxLength) and postfix values
 * at most 127 (writePostfix refuses size >= StringPostfixMaxLength = 128);
 * pkg/selectors/selectors.go and kernel.go. Both apply to matchArgs and to
 * matchBinaries.
 */
#define TP_MAX_PREFIX_LEN 256
#define TP_MAX_POSTFIX_LEN 127

/*
 * Equal/NotEqual string values are stored in size-bucketed hash maps whose
 * largest key holds 4096 bytes of string (MaxStringMapsSize - 2,
 * ArgStringSelectorValue in pkg/selectors/selectors.go, kernels >= 5.11).
 */
#define TP_MAX_STRING_MATCH_LEN 4096

/*
 * SubString / SubStringIgnCase: each value shorter than 100 bytes and at
 * most 100 substrings per hook (writeMatchSubString in kernel.go,
 * SubstringMapEntries in selectors.go).
 */
#define TP_MAX_SUBSTRING_LEN 99
#define TP_MAX_SUBSTRINGS 100

/* CelExpr: eight expressions per policy (MaxCelExprFunctions, celexpr.go). */
#define TP_MAX_CEL_EXPRS 8

/*
 * Tags: 16 per hook (CRD MaxItems and TpMaxTags), each at least 2 bytes;
 * longer than 128 bytes is truncated, not refused (pkg/sensors/tracing/tags.go).
 */
#define TP_MAX_TAGS 16
#define TP_MIN_TAG_LEN 2
#define TP_MAX_TAG_LEN 128

/*
 * message: a 1-byte message is refused; above 256 bytes upstream truncates
 * and logs a warning (pkg/sensors/tracing/message.go).
 */
#define TP_MIN_MESSAGE_LEN 2
#define TP_MAX_MESSAGE_LEN 256

/* spec.enforcers: createEnforcerSensor (enforcer.go) supports one entry. */
#define TP_MAX_ENFORCERS 1

/*
 * resolve paths: at most ten BTF steps (MaxBTFArgDepth in
 * pkg/api/tracingapi/client_kprobe.go, checked in resolveBTFType).
 */
#define TP_MAX_RESOLVE_DEPTH 10

/*
 * followChildren needs one mbset bit per binaries selector; there are 64
 * (MaxIDs, pkg/mbset/mbset.go). Upstream counts agent-wide, we per policy.
 */
#define TP_MAX_FOLLOW_CHILDREN 64

/* Kubernetes object names (DNS-1123 subdomain) and namespaces (DNS-1123 label). */
#define TP_MAX_NAME_LEN 253
#define TP_MAX_NAMESPACE_LEN 63
/* Label values in label selectors (CRD pattern and maxLength 63). */
#define TP_MAX_LABEL_VALUE_LEN 63

/*
 * Names (policy_values.c). Tracefs subsystem and event names: the kernel's
 * TRACE_EVENT names are C identifiers, a few subsystems use '-'
 * (xhci-hcd); 63 is MAX_EVENT_NAME_LEN - 1 of dynamic events. Kernel
 * symbols: KSYM_NAME_LEN (512) - 1. User-space symbols and USDT names have
 * no kernel bound; these keep them sane.
 */
#define TP_MAX_TRACEFS_NAME_LEN 63
#define TP_MAX_KSYM_LEN 511
#define TP_MAX_UPROBE_SYMBOL_LEN 1023
#define TP_MAX_USDT_NAME_LEN 255

/* Highest signal number accepted by the Signal action (SIGRTMAX on Linux). */
#define TP_MAX_SIGNAL 64

/*
 * ---- this agent's own limits ----------------------------------------------
 * Upstream accepts more; this agent's BPF selectors (abi/msg_generic.h,
 * src/sensors/policy_selectors.c) hold this much. tp_check_agent()
 * enforces them offline so the validator refuses what the agent refuses;
 * the sensors assert their sizes against these.
 */
/* String, binary path and address values of one hook: one LPM trie (gt_strs). */
#define TP_AGENT_MAX_STR_VALUES 65536
/* InMap integers of one hook (gt_ints), ranges and syscall lists expanded. */
#define TP_AGENT_MAX_INT_VALUES 65536
/* Bytes of a string value the selectors compare (GT_STR_MAX - 1). */
#define TP_AGENT_MAX_STR_LEN 255
/* Bytes of a matchBinaries path (GT_BIN_MAX - 1). */
#define TP_AGENT_MAX_BINARY_PATH 255
/* Distinct matchPIDs values of one selector, its entries folded (GT_MAX_PIDS). */
#define TP_AGENT_MAX_PIDS 4
/* matchReturnArgs entries per selector (GT_MAX_RETF). */
#define TP_AGENT_MAX_RETURN_ARGS 2
/* matchCapabilities entries per selector (GT_MAX_CAPF). */
#define TP_AGENT_MAX_CAPS 4
/* Family values of one sockaddr filter (GT_MAX_VALS). */
#define TP_AGENT_MAX_FAMILY_VALUES 4
/* Bytes of a uprobe symbol (the hook instance's name buffer). */
#define TP_AGENT_MAX_UPROBE_SYMBOL 127

/* Diagnostics reported per file before the validator stops listing them. */
#define TP_MAX_DIAGS 50

#endif
