// SPDX-License-Identifier: Apache-2.0
/*
 * containerd's gRPC API over its unix socket, with gRPC C-core: unary calls
 * carrying the "containerd-namespace" header containerd scopes every
 * request by.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <jansson.h>

#include "runtime/containerd_containers.pb-c.h"
#include "runtime/containerd_tasks.pb-c.h"
#include "runtime/runtime_api.h"

/* A container record (its OCI spec inside) is tens of KiB at most. */
#define MAX_MSG (4 << 20)

struct containerd_client {
	char *socket;
	grpc_channel *ch;
	grpc_completion_queue *cq;
};

int containerd_client_new(struct containerd_client **ret, const char *socket)
{
	struct containerd_client *c = calloc(1, sizeof(*c));
	grpc_channel_credentials *creds;
	char target[4200];

	if (!c)
		return -ENOMEM;
	grpc_init();
	c->socket = strdup(socket);
	snprintf(target, sizeof(target), "unix://%s", socket);
	creds = grpc_insecure_credentials_create();
	c->ch = creds ? grpc_channel_create(target, creds, NULL) : NULL;
	if (creds)
		grpc_channel_credentials_release(creds);
	c->cq = grpc_completion_queue_create_for_pluck(NULL);
	if (!c->socket || !c->ch || !c->cq) {
		containerd_client_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void containerd_client_free(struct containerd_client *c)
{
	if (!c)
		return;
	if (c->ch)
		grpc_channel_destroy(c->ch);
	if (c->cq) {
		grpc_completion_queue_shutdown(c->cq);
		while (grpc_completion_queue_pluck(c->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
		       GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(c->cq);
	}
	free(c->socket);
	free(c);
	grpc_shutdown();
}

static grpc_byte_buffer *pack(const ProtobufCMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	grpc_slice s = grpc_slice_malloc(n);
	grpc_byte_buffer *bb;

	protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
	bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

static ProtobufCMessage *unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d)
{
	grpc_byte_buffer_reader rd;
	ProtobufCMessage *m = NULL;
	grpc_slice s;

	if (grpc_byte_buffer_length(bb) > MAX_MSG || !grpc_byte_buffer_reader_init(&rd, bb))
		return NULL;
	s = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	m = protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
	grpc_slice_unref(s);
	return m;
}

static enum runtime_result status_result(grpc_status_code st)
{
	switch (st) {
	case GRPC_STATUS_OK:
		return RT_OK;
	case GRPC_STATUS_NOT_FOUND:
		return RT_NOT_FOUND;
	case GRPC_STATUS_UNAVAILABLE:
		return RT_UNAVAILABLE;
	case GRPC_STATUS_DEADLINE_EXCEEDED:
		return RT_TIMEOUT;
	default:
		return RT_ERROR;
	}
}

static enum runtime_result unary(struct containerd_client *c, const char *method, const char *ns,
				 const ProtobufCMessage *req, const ProtobufCMessageDescriptor *rd,
				 ProtobufCMessage **resp, uint64_t timeout_ms)
{
	grpc_metadata_array md_in, trailing;
	grpc_metadata md = { 0 };
	grpc_byte_buffer *send_bb, *recv_bb = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice details = grpc_empty_slice();
	gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
					     gpr_time_from_millis((int64_t)timeout_ms, GPR_TIMESPAN));
	grpc_slice mslice = grpc_slice_from_static_string(method);
	grpc_call *call;
	grpc_op ops[6];
	grpc_event ev;
	enum runtime_result r;
	int tag;

	*resp = NULL;
	if (access(c->socket, F_OK))
		return RT_UNAVAILABLE;
	send_bb = pack(req);
	call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, mslice, NULL, deadline, NULL);
	if (!call) {
		grpc_byte_buffer_destroy(send_bb);
		return RT_ERROR;
	}
	md.key = grpc_slice_from_static_string("containerd-namespace");
	md.value = grpc_slice_from_copied_string(ns);
	grpc_metadata_array_init(&md_in);
	grpc_metadata_array_init(&trailing);
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].data.send_initial_metadata.count = 1;
	ops[0].data.send_initial_metadata.metadata = &md;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send_bb;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &md_in;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &recv_bb;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;
	if (grpc_call_start_batch(call, ops, 6, &tag, NULL) != GRPC_CALL_OK) {
		r = RT_ERROR;
	} else {
		/* the call's deadline ends it; the slack only guards against a lost completion */
		ev = grpc_completion_queue_pluck(c->cq, &tag,
						 gpr_time_add(deadline, gpr_time_from_millis(5000, GPR_TIMESPAN)),
						 NULL);
		if (ev.type != GRPC_OP_COMPLETE) {
			grpc_call_cancel(call, NULL);
			grpc_completion_queue_pluck(c->cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
			status = GRPC_STATUS_DEADLINE_EXCEEDED;
		}
		r = status_result(status);
		if (r == RT_OK) {
			*resp = recv_bb ? unpack(recv_bb, rd) : NULL;
			if (!*resp)
				r = RT_ERROR;
		}
	}
	if (recv_bb)
		grpc_byte_buffer_destroy(recv_bb);
	grpc_byte_buffer_destroy(send_bb);
	grpc_slice_unref(details);
	grpc_slice_unref(md.value);
	grpc_metadata_array_destroy(&md_in);
	grpc_metadata_array_destroy(&trailing);
	grpc_call_unref(call);
	return r;
}

static enum runtime_result get_container(struct containerd_client *c, const char *ns, const char *id,
					 uint64_t timeout_ms, Containerd__Services__Containers__V1__Container **out,
					 Containerd__Services__Containers__V1__GetContainerResponse **resp)
{
	Containerd__Services__Containers__V1__GetContainerRequest req =
		CONTAINERD__SERVICES__CONTAINERS__V1__GET_CONTAINER_REQUEST__INIT;
	enum runtime_result r;

	req.id = (char *)id;
	r = unary(c, "/containerd.services.containers.v1.Containers/Get", ns, &req.base,
		  &containerd__services__containers__v1__get_container_response__descriptor,
		  (ProtobufCMessage **)resp, timeout_ms);
	if (r == RT_OK && !(*resp)->container) {
		protobuf_c_message_free_unpacked(&(*resp)->base, NULL);
		*resp = NULL;
		r = RT_ERROR;
	}
	*out = r == RT_OK ? (*resp)->container : NULL;
	return r;
}

/* CRI keeps the sandbox's id in the container's OCI spec annotations (containerd 1.6) */
static char *spec_sandbox_id(const Containerd__Services__Containers__V1__Container *ct)
{
	const char *s;
	char *ret = NULL;
	json_t *j;

	if (ct->sandbox && *ct->sandbox)
		return strdup(ct->sandbox);
	if (!ct->spec || !ct->spec->value.len)
		return NULL;
	j = json_loadb((const char *)ct->spec->value.data, ct->spec->value.len, 0, NULL);
	s = json_string_value(json_object_get(json_object_get(j, "annotations"), "io.kubernetes.cri.sandbox-id"));
	if (s && *s)
		ret = strdup(s);
	json_decref(j);
	return ret;
}

enum runtime_result containerd_lookup(struct containerd_client *c, const char *ns, const char *id,
				      uint64_t timeout_ms, struct container_meta **out)
{
	Containerd__Services__Containers__V1__GetContainerResponse *resp = NULL, *sresp = NULL;
	Containerd__Services__Containers__V1__Container *ct, *sb;
	Containerd__Services__Tasks__V1__GetRequest treq = CONTAINERD__SERVICES__TASKS__V1__GET_REQUEST__INIT;
	Containerd__Services__Tasks__V1__GetResponse *tresp = NULL;
	struct container_meta *m;
	enum runtime_result r;
	char *sandbox;

	*out = NULL;
	r = get_container(c, ns, id, timeout_ms, &ct, &resp);
	if (r != RT_OK)
		return r;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto oom;
	m->scheme = "containerd";
	for (size_t i = 0; i < ct->n_labels; i++)
		if (ct->labels[i]->key && ct->labels[i]->value &&
		    meta_add_label(&m->labels, &m->nlabels, ct->labels[i]->key, ct->labels[i]->value))
			goto oom;
	if (ct->image && *ct->image && !(m->image = strdup(ct->image)))
		goto oom;
	runtime_meta_from_k8s_labels(m);
	/* nerdctl names its containers in a label; CRI's name came from kubelet's */
	if (!m->name && meta_label(m, "nerdctl/name"))
		m->name = strdup(meta_label(m, "nerdctl/name"));

	/* started: when its init process did */
	treq.container_id = (char *)id;
	if (unary(c, "/containerd.services.tasks.v1.Tasks/Get", ns, &treq.base,
		  &containerd__services__tasks__v1__get_response__descriptor, (ProtobufCMessage **)&tresp,
		  timeout_ms) == RT_OK) {
		if (tresp->process && tresp->process->pid)
			m->start_time_ns = runtime_pid_start_time(tresp->process->pid);
		protobuf_c_message_free_unpacked(&tresp->base, NULL);
	}

	sandbox = m->pod_name ? spec_sandbox_id(ct) : NULL;
	if (sandbox && strcmp(sandbox, id) && get_container(c, ns, sandbox, timeout_ms, &sb, &sresp) == RT_OK) {
		struct container_label *v = calloc(sb->n_labels + 1, sizeof(*v));
		size_t n = 0;

		for (size_t i = 0; v && i < sb->n_labels; i++) {
			if (!sb->labels[i]->key || !sb->labels[i]->value)
				continue;
			v[n].key = sb->labels[i]->key;
			v[n].value = sb->labels[i]->value;
			n++;
		}
		if (v)
			meta_set_pod_labels(m, v, n);
		free(v);
		protobuf_c_message_free_unpacked(&sresp->base, NULL);
	}
	free(sandbox);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	*out = m;
	return RT_OK;
oom:
	container_meta_free(m);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return RT_ERROR;
}
