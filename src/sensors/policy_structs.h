/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kernel-structure arguments (sock, skb, cred, user_namespace, bpf_attr,
 * bpf_prog, bpf_map, perf_event, module, load_info, net_device) from the
 * fixed records of abi/msg_generic.h to upstream's KprobeArgument
 * messages (sock_arg, skb_arg, process_credentials_arg, user_ns_arg...).
 */
#ifndef TG_SENSORS_POLICY_STRUCTS_H
#define TG_SENSORS_POLICY_STRUCTS_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"
#include "tetragon/tetragon.pb-c.h"

/* What one argument's message points at (lives as long as the event). */
struct arg_struct_store {
	union {
		Tetragon__KprobeSock sock;
		Tetragon__KprobeSkb skb;
		Tetragon__KprobeBpfAttr bpfattr;
		Tetragon__KprobeBpfProg bpfprog;
		Tetragon__KprobeBpfMap bpfmap;
		Tetragon__KprobePerfEvent perf;
		Tetragon__KernelModule module;
		Tetragon__KprobeNetDev netdev;
		Tetragon__ProcessCredentials cred;
	} m;
	Google__Protobuf__UInt32Value ids[8];
	Tetragon__SecureBitsType securebits[8];
	Tetragon__Capabilities caps;
	Tetragon__CapabilitiesType capv[3][64];
	Tetragon__UserNamespace userns;
	Google__Protobuf__Int32Value level;
	Google__Protobuf__UInt32Value nsuid, nsgid;
	Tetragon__Namespace ns;
	Google__Protobuf__BoolValue sigok;
	Tetragon__TaintedBitsType taints[64];
};

/*
 * Argument a of policy type t from its record bytes b[0..len): true when t
 * is one of these types. strbuf: GT_ARG_MAX + 1 bytes for the strings.
 */
bool policy_struct_arg(Tetragon__KprobeArgument *a, enum tp_arg_type t, const void *b, size_t len, char *strbuf,
		       struct arg_struct_store *st);

#endif
