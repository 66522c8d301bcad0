// SPDX-License-Identifier: Apache-2.0
/*
 * A minimal CRI client for the container tests (no crictl in Debian 12):
 * runs a pod sandbox and a container in it through a runtime's CRI API
 * (runtime.v1.RuntimeService) with kubelet's labels, and execs in it.
 *
 *   cri_client SOCK version
 *   cri_client SOCK runp NAME NAMESPACE UID [KEY=VALUE...]     -> sandbox id
 *   cri_client SOCK create SANDBOX NAME IMAGE POD NAMESPACE UID CMD...  -> container id
 *   cri_client SOCK start CONTAINER
 *   cri_client SOCK exec CONTAINER CMD...                      (its stdout; exit code)
 *   cri_client SOCK stopp SANDBOX | rmp SANDBOX
 *
 * Sandboxes use the node's network (no CNI here) and their own pid namespace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/rpc.h"
#include "runtime/cri.pb-c.h"

#define TIMEOUT_MS 60000

static struct rpc_client *cli;

static ProtobufCMessage *call(const char *method, const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d)
{
	char path[128];
	struct rpc_status st = { 0 };
	ProtobufCMessage *resp = NULL;

	snprintf(path, sizeof(path), "/runtime.v1.RuntimeService/%s", method);
	if (rpc_client_call(cli, path, req, d, &resp, TIMEOUT_MS, &st)) {
		fprintf(stderr, "cri_client: %s: %s (code %d)\n", method, st.message, st.code);
		exit(1);
	}
	return resp;
}

typedef Runtime__V1__PodSandboxConfig__LabelsEntry Label;

/* kubelet's labels on a pod's sandbox and containers */
static void pod_labels(Label *l, Label **lp, size_t *n, const char *name, const char *ns, const char *uid)
{
	const char *kv[3][2] = { { "io.kubernetes.pod.name", name },
				 { "io.kubernetes.pod.namespace", ns },
				 { "io.kubernetes.pod.uid", uid } };

	for (int i = 0; i < 3; i++) {
		runtime__v1__pod_sandbox_config__labels_entry__init(&l[*n]);
		l[*n].key = (char *)kv[i][0];
		l[*n].value = (char *)kv[i][1];
		lp[*n] = &l[*n];
		(*n)++;
	}
}

static void sandbox_config(Runtime__V1__PodSandboxConfig *c, Runtime__V1__PodSandboxMetadata *md,
			   Runtime__V1__LinuxPodSandboxConfig *lx, Runtime__V1__LinuxSandboxSecurityContext *sc,
			   Runtime__V1__NamespaceOption *nso, const char *name, const char *ns, const char *uid)
{
	runtime__v1__pod_sandbox_config__init(c);
	runtime__v1__pod_sandbox_metadata__init(md);
	runtime__v1__linux_pod_sandbox_config__init(lx);
	runtime__v1__linux_sandbox_security_context__init(sc);
	runtime__v1__namespace_option__init(nso);
	md->name = (char *)name;
	md->namespace_ = (char *)ns;
	md->uid = (char *)uid;
	c->metadata = md;
	c->log_directory = "/tmp";
	nso->network = RUNTIME__V1__NAMESPACE_MODE__NODE;
	nso->pid = RUNTIME__V1__NAMESPACE_MODE__POD;
	nso->ipc = RUNTIME__V1__NAMESPACE_MODE__POD;
	sc->namespace_options = nso;
	lx->security_context = sc;
	/* kubelet's cgroupfs layout: /kubepods/besteffort/pod<uid> */
	static char parent[256];
	snprintf(parent, sizeof(parent), "/kubepods/besteffort/pod%s", uid);
	lx->cgroup_parent = parent;
	c->linux_config = lx;
}

int main(int argc, char **argv)
{
	char target[512], err[256];

	if (argc < 3) {
		fprintf(stderr, "usage: cri_client SOCK version|runp|create|start|exec|stopp|rmp ...\n");
		return 2;
	}
	snprintf(target, sizeof(target), "unix://%s", argv[1]);
	if (rpc_client_open(&cli, target, NULL, err, sizeof(err))) {
		fprintf(stderr, "cri_client: %s\n", err);
		return 1;
	}
	if (!strcmp(argv[2], "version")) {
		Runtime__V1__VersionRequest req = RUNTIME__V1__VERSION_REQUEST__INIT;
		Runtime__V1__VersionResponse *r;

		req.version = "v1";
		r = (void *)call("Version", &req.base, &runtime__v1__version_response__descriptor);
		printf("%s %s %s\n", r->runtime_name, r->runtime_version, r->runtime_api_version);
	} else if (!strcmp(argv[2], "runp") && argc >= 6) {
		Runtime__V1__RunPodSandboxRequest req = RUNTIME__V1__RUN_POD_SANDBOX_REQUEST__INIT;
		Runtime__V1__PodSandboxConfig c;
		Runtime__V1__PodSandboxMetadata md;
		Runtime__V1__LinuxPodSandboxConfig lx;
		Runtime__V1__LinuxSandboxSecurityContext sc;
		Runtime__V1__NamespaceOption nso;
		Runtime__V1__RunPodSandboxResponse *r;
		Label l[64], *lp[64];
		size_t n = 0;

		sandbox_config(&c, &md, &lx, &sc, &nso, argv[3], argv[4], argv[5]);
		pod_labels(l, lp, &n, argv[3], argv[4], argv[5]);
		for (int i = 6; i < argc && n < 64; i++) {
			char *eq = strchr(argv[i], '=');

			if (!eq)
				continue;
			*eq = '\0';
			runtime__v1__pod_sandbox_config__labels_entry__init(&l[n]);
			l[n].key = argv[i];
			l[n].value = eq + 1;
			lp[n] = &l[n];
			n++;
		}
		c.labels = lp;
		c.n_labels = n;
		req.config = &c;
		r = (void *)call("RunPodSandbox", &req.base, &runtime__v1__run_pod_sandbox_response__descriptor);
		printf("%s\n", r->pod_sandbox_id);
	} else if (!strcmp(argv[2], "create") && argc >= 10) {
		Runtime__V1__CreateContainerRequest req = RUNTIME__V1__CREATE_CONTAINER_REQUEST__INIT;
		Runtime__V1__ContainerConfig cc = RUNTIME__V1__CONTAINER_CONFIG__INIT;
		Runtime__V1__ContainerMetadata cmd = RUNTIME__V1__CONTAINER_METADATA__INIT;
		Runtime__V1__ImageSpec img = RUNTIME__V1__IMAGE_SPEC__INIT;
		Runtime__V1__PodSandboxConfig c;
		Runtime__V1__PodSandboxMetadata md;
		Runtime__V1__LinuxPodSandboxConfig lx;
		Runtime__V1__LinuxSandboxSecurityContext sc;
		Runtime__V1__NamespaceOption nso;
		Runtime__V1__CreateContainerResponse *r;
		Runtime__V1__ContainerConfig__LabelsEntry cl[4], *clp[4];
		Label l[4], *lp[4];
		size_t n = 0;

		sandbox_config(&c, &md, &lx, &sc, &nso, argv[6], argv[7], argv[8]);
		pod_labels(l, lp, &n, argv[6], argv[7], argv[8]);
		for (size_t i = 0; i < n; i++) {
			runtime__v1__container_config__labels_entry__init(&cl[i]);
			cl[i].key = l[i].key;
			cl[i].value = l[i].value;
			clp[i] = &cl[i];
		}
		runtime__v1__container_config__labels_entry__init(&cl[n]);
		cl[n].key = "io.kubernetes.container.name";
		cl[n].value = argv[4];
		clp[n] = &cl[n];
		cc.labels = clp;
		cc.n_labels = n + 1;
		cmd.name = argv[4];
		cc.metadata = &cmd;
		img.image = argv[5];
		cc.image = &img;
		cc.command = &argv[9];
		cc.n_command = (size_t)(argc - 9);
		req.pod_sandbox_id = argv[3];
		req.config = &cc;
		req.sandbox_config = &c;
		r = (void *)call("CreateContainer", &req.base, &runtime__v1__create_container_response__descriptor);
		printf("%s\n", r->container_id);
	} else if (!strcmp(argv[2], "start") && argc == 4) {
		Runtime__V1__StartContainerRequest req = RUNTIME__V1__START_CONTAINER_REQUEST__INIT;

		req.container_id = argv[3];
		call("StartContainer", &req.base, &runtime__v1__start_container_response__descriptor);
	} else if (!strcmp(argv[2], "exec") && argc >= 5) {
		Runtime__V1__ExecSyncRequest req = RUNTIME__V1__EXEC_SYNC_REQUEST__INIT;
		Runtime__V1__ExecSyncResponse *r;

		req.container_id = argv[3];
		req.cmd = &argv[4];
		req.n_cmd = (size_t)(argc - 4);
		req.timeout = 30;
		r = (void *)call("ExecSync", &req.base, &runtime__v1__exec_sync_response__descriptor);
		if (r->stdout.len)
			fwrite(r->stdout.data, 1, r->stdout.len, stdout);
		if (r->stderr.len)
			fwrite(r->stderr.data, 1, r->stderr.len, stderr);
		rpc_client_close(cli);
		return r->exit_code;
	} else if ((!strcmp(argv[2], "stopp") || !strcmp(argv[2], "rmp")) && argc == 4) {
		if (argv[2][0] == 's') {
			Runtime__V1__StopPodSandboxRequest req = RUNTIME__V1__STOP_POD_SANDBOX_REQUEST__INIT;

			req.pod_sandbox_id = argv[3];
			call("StopPodSandbox", &req.base, &runtime__v1__stop_pod_sandbox_response__descriptor);
		} else {
			Runtime__V1__RemovePodSandboxRequest req = RUNTIME__V1__REMOVE_POD_SANDBOX_REQUEST__INIT;

			req.pod_sandbox_id = argv[3];
			call("RemovePodSandbox", &req.base, &runtime__v1__remove_pod_sandbox_response__descriptor);
		}
	} else {
		fprintf(stderr, "cri_client: bad arguments (see the source's header)\n");
		return 2;
	}
	rpc_client_close(cli);
	return 0;
}
