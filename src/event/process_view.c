// SPDX-License-Identifier: Apache-2.0
#include "event/process_view.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/wrappers.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "event/process_facts.h"
#include "k8s/pods.h"
#include "process/container.h"

/* The --enable-process-cred blocks (about 1.5 KB: every capability). */
struct view_cred {
	Tetragon__Capabilities cap;
	Tetragon__CapabilitiesType caps[3][64];

	Tetragon__ProcessCredentials creds;
	Google__Protobuf__UInt32Value cred_ids[8];
	Tetragon__SecureBitsType securebits[8];
};

/* The --enable-process-ns block. */
struct view_ns {
	Tetragon__Namespaces ns;
	Tetragon__Namespace nss[10];
};

/* The pod block of a process in a container the runtime told us about. */
struct view_pod {
	Tetragon__Pod pod;
	Tetragon__Container container;
	Tetragon__Image image;
	Google__Protobuf__Timestamp start_time;
	Google__Protobuf__UInt32Value pid;
	char id[96];			/* "<runtime>://<id>" */
	size_t nlabels;
	Tetragon__Pod__PodLabelsEntry *labels;
	Tetragon__Pod__PodLabelsEntry **label_ptrs;
};

/*
 * Everything one Process message points at, in one allocation: the cred
 * and ns parts follow the view only when they are enabled, so a view is
 * small (and cheap to zero) with upstream's defaults.
 */
struct view {
	Tetragon__Process proc;
	Google__Protobuf__UInt32Value pid, tid, uid, auid;
	Google__Protobuf__BoolValue in_init_tree;
	Google__Protobuf__Timestamp start_time;
	char flags[256];

	struct view_cred *cred;
	struct view_ns *ns;
	struct view_pod *pod;		/* NULL outside containers with metadata */
	void *k8s_pod;			/* src/k8s's view of its pod (it wins over the runtime's) */
	uint32_t cgen;			/* the container's generation it was built from */

	Tetragon__BinaryProperties bprops;
	Google__Protobuf__UInt32Value setuid, setgid;
	Tetragon__ProcessPrivilegesChanged privs[3];
	Tetragon__FileProperties file;
	Tetragon__InodeProperties inode;
	Google__Protobuf__UInt32Value links;
	int has_bprops;

	Tetragon__UserRecord user;
	Tetragon__EnvVar *envs;		/* environment_variables (with env_ptrs, one allocation) */
	Tetragon__EnvVar **env_ptrs;

	struct protojson_fragment json;	/* this Process message, encoded once */
};

/*
 * Live views by message address, so the JSON encoder can tell a cached
 * process block from any other Process message (open addressing, linear
 * probing, backward-shift deletion; the event thread only).
 */
static struct view **live;
static size_t live_cap, live_n;

static size_t live_slot(const void *p)
{
	uintptr_t h = (uintptr_t)p;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 7) & (live_cap - 1);
}

static int live_add(struct view *v);

static int live_grow(void)
{
	struct view **old = live;
	size_t oldcap = live_cap, cap = oldcap ? oldcap * 2 : 1024;

	live = calloc(cap, sizeof(*live));
	if (!live) {
		live = old;
		return -1;
	}
	live_cap = cap;
	live_n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			live_add(old[i]);
	free(old);
	return 0;
}

static int live_add(struct view *v)
{
	size_t i;

	if ((live_n + 1) * 2 > live_cap && live_grow())
		return -1;
	for (i = live_slot(&v->proc); live[i]; i = (i + 1) & (live_cap - 1))
		;
	live[i] = v;
	live_n++;
	return 0;
}

static size_t live_find(const void *proc)
{
	if (!live_cap)
		return SIZE_MAX;
	for (size_t i = live_slot(proc); live[i]; i = (i + 1) & (live_cap - 1))
		if (&live[i]->proc == proc)
			return i;
	return SIZE_MAX;
}

static void live_del(struct view *v)
{
	size_t i = live_find(&v->proc), j;

	if (i == SIZE_MAX)
		return;
	live[i] = NULL;
	live_n--;
	/* move later members of the probe run back so lookups still find them */
	for (j = (i + 1) & (live_cap - 1); live[j]; j = (j + 1) & (live_cap - 1)) {
		size_t want = live_slot(&live[j]->proc);

		if ((j > i && (want <= i || want > j)) || (j < i && (want <= i && want > j))) {
			live[i] = live[j];
			live[j] = NULL;
			i = j;
		}
	}
}

struct protojson_fragment *process_view_fragment(const ProtobufCMessage *m)
{
	size_t i;

	if (m->descriptor != &tetragon__process__descriptor)
		return NULL;
	i = live_find(m);
	return i == SIZE_MAX ? NULL : &live[i]->json;
}

static const struct { uint32_t bit; const char *name; } flag_names[] = {
	{ EVENT_EXECVE, "execve" },
	{ EVENT_PROCFS, "procFS" },
	{ EVENT_ERROR_ENVS, "errorEnvs" },
	{ EVENT_TRUNC_ARGS, "truncArgs" },
	{ EVENT_MISS, "miss" },
	{ EVENT_ERROR_FILENAME, "errorFilename" },
	{ EVENT_ERROR_ARGS, "errorArgs" },
	{ EVENT_NO_CWD_SUPPORT, "nocwd" },
	{ EVENT_ROOT_CWD, "rootcwd" },
	{ EVENT_ERROR_CWD, "errorCWD" },
	{ EVENT_CLONE, "clone" },
	{ EVENT_ERROR_PATH_COMPONENTS, "errorPathResolutionCwd" },
	{ EVENT_IN_INIT_TREE, "inInitTree" },
	{ EVENT_TRUNC_FILENAME, "truncFilename" },
};

void process_flags_string(uint32_t flags, char *buf, size_t size)
{
	size_t n = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		size_t l;

		if (!(flags & flag_names[i].bit))
			continue;
		l = strlen(flag_names[i].name);
		if (n + !!n + l >= size)
			return;		/* cut at a whole name */
		if (n)
			buf[n++] = ' ';
		memcpy(buf + n, flag_names[i].name, l + 1);
		n += l;
	}
}

static void u32v(Google__Protobuf__UInt32Value *w, uint32_t v)
{
	google__protobuf__uint32_value__init(w);
	w->value = v;
}

static size_t cap_list(uint64_t mask, Tetragon__CapabilitiesType *out)
{
	size_t n = 0;

	for (int i = 0; i < 64; i++)
		if (mask & (1ULL << i))
			out[n++] = (Tetragon__CapabilitiesType)i;
	return n;
}

static void set_ns(Tetragon__Namespace *n, uint32_t inum, uint32_t host)
{
	tetragon__namespace__init(n);
	n->inum = inum;
	n->is_host = inum && inum == host;
}

static void build_ns(struct view_ns *v, const struct msg_ns *ns, const struct msg_ns *host)
{
	Tetragon__Namespaces *m = &v->ns;

	tetragon__namespaces__init(m);
	set_ns(&v->nss[0], ns->uts, host->uts);
	set_ns(&v->nss[1], ns->ipc, host->ipc);
	set_ns(&v->nss[2], ns->mnt, host->mnt);
	set_ns(&v->nss[3], ns->pid, host->pid);
	set_ns(&v->nss[4], ns->pid_for_children, host->pid_for_children);
	set_ns(&v->nss[5], ns->net, host->net);
	set_ns(&v->nss[6], ns->time, host->time);
	set_ns(&v->nss[7], ns->time_for_children, host->time_for_children);
	set_ns(&v->nss[8], ns->cgroup, host->cgroup);
	set_ns(&v->nss[9], ns->user, host->user);
	m->uts = &v->nss[0];
	m->ipc = &v->nss[1];
	m->mnt = &v->nss[2];
	m->pid = &v->nss[3];
	m->pid_for_children = &v->nss[4];
	m->net = &v->nss[5];
	m->time = &v->nss[6];
	m->time_for_children = &v->nss[7];
	m->cgroup = &v->nss[8];
	m->user = &v->nss[9];
}

static void build_creds(struct view_cred *v, const struct msg_cred *c)
{
	Tetragon__ProcessCredentials *m = &v->creds;
	const uint32_t ids[8] = { c->uid, c->gid, c->euid, c->egid, c->suid, c->sgid, c->fsuid, c->fsgid };

	tetragon__process_credentials__init(m);
	for (int i = 0; i < 8; i++)
		u32v(&v->cred_ids[i], ids[i]);
	m->uid = &v->cred_ids[0];
	m->gid = &v->cred_ids[1];
	m->euid = &v->cred_ids[2];
	m->egid = &v->cred_ids[3];
	m->suid = &v->cred_ids[4];
	m->sgid = &v->cred_ids[5];
	m->fsuid = &v->cred_ids[6];
	m->fsgid = &v->cred_ids[7];
	for (int i = 0; i < 8; i++)
		if (c->securebits & (1u << i))
			v->securebits[m->n_securebits++] = (Tetragon__SecureBitsType)(1u << i);
	m->securebits = v->securebits;

	tetragon__capabilities__init(&v->cap);
	v->cap.n_permitted = cap_list(c->cap_permitted, v->caps[0]);
	v->cap.permitted = v->caps[0];
	v->cap.n_effective = cap_list(c->cap_effective, v->caps[1]);
	v->cap.effective = v->caps[1];
	v->cap.n_inheritable = cap_list(c->cap_inheritable, v->caps[2]);
	v->cap.inheritable = v->caps[2];
}

static void build_bprops(struct view *v, const struct process *p)
{
	Tetragon__BinaryProperties *b = &v->bprops;

	tetragon__binary_properties__init(b);
	if (p->secureexec & EXEC_SETUID) {
		u32v(&v->setuid, p->creds.euid);
		b->setuid = &v->setuid;
		v->has_bprops = 1;
	}
	if (p->secureexec & EXEC_SETGID) {
		u32v(&v->setgid, p->creds.egid);
		b->setgid = &v->setgid;
		v->has_bprops = 1;
	}
	if (p->secureexec & EXEC_FILE_CAPS)
		v->privs[b->n_privileges_changed++] =
			TETRAGON__PROCESS_PRIVILEGES_CHANGED__PRIVILEGES_RAISED_EXEC_FILE_CAP;
	if (p->secureexec & EXEC_SETUID_ROOT)
		v->privs[b->n_privileges_changed++] =
			TETRAGON__PROCESS_PRIVILEGES_CHANGED__PRIVILEGES_RAISED_EXEC_FILE_SETUID;
	if (p->secureexec & EXEC_SETGID_ROOT)
		v->privs[b->n_privileges_changed++] =
			TETRAGON__PROCESS_PRIVILEGES_CHANGED__PRIVILEGES_RAISED_EXEC_FILE_SETGID;
	if (b->n_privileges_changed) {
		b->privileges_changed = v->privs;
		v->has_bprops = 1;
	}
}

/* Fileless execution (memfd, deleted file) shows the inode; independent of --enable-process-cred. */
static void build_file(struct view *v, const struct process *p)
{
	if (!(p->flags & EVENT_EXECVE) || !p->ino || p->nlink)
		return;
	tetragon__inode_properties__init(&v->inode);
	v->inode.number = p->ino;
	u32v(&v->links, p->nlink);
	v->inode.links = &v->links;
	tetragon__file_properties__init(&v->file);
	v->file.inode = &v->inode;
	v->bprops.file = &v->file;
	v->has_bprops = 1;
}

static void view_pod_free(struct view_pod *vp)
{
	if (!vp)
		return;
	free(vp->labels);
	free(vp->label_ptrs);
	free(vp);
}

/*
 * pod as upstream fills it from the pod's status, here from what the
 * runtime said: container id "<runtime>://<full id>", its name, image and
 * start; namespace, name and uid for kubelet's containers.
 */
static struct view_pod *build_pod(const struct process *p, const struct container *c)
{
	const struct container_meta *m = c->meta;
	struct view_pod *vp;

	if (!m)
		return NULL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return NULL;
	tetragon__pod__init(&vp->pod);
	tetragon__container__init(&vp->container);
	tetragon__image__init(&vp->image);
	if (m->pod_namespace)
		vp->pod.namespace_ = m->pod_namespace;
	if (m->pod_name)
		vp->pod.name = m->pod_name;
	if (m->pod_uid)
		vp->pod.uid = m->pod_uid;
	snprintf(vp->id, sizeof(vp->id), "%s://%s", m->scheme ? m->scheme : "containerd", c->id);
	vp->container.id = vp->id;
	if (m->name)
		vp->container.name = m->name;
	if (m->image)
		vp->image.name = m->image;
	if (m->image_id)
		vp->image.id = m->image_id;
	vp->container.image = &vp->image;
	if (m->start_time_ns) {
		google__protobuf__timestamp__init(&vp->start_time);
		vp->start_time.seconds = (int64_t)(m->start_time_ns / 1000000000ULL);
		vp->start_time.nanos = (int32_t)(m->start_time_ns % 1000000000ULL);
		vp->container.start_time = &vp->start_time;
	}
	/* the pid inside the container, as upstream: not when zero */
	if (p->nspid) {
		u32v(&vp->pid, p->nspid);
		vp->container.pid = &vp->pid;
	}
	vp->pod.container = &vp->container;
	if (m->npod_labels) {
		vp->labels = calloc(m->npod_labels, sizeof(*vp->labels));
		vp->label_ptrs = calloc(m->npod_labels, sizeof(*vp->label_ptrs));
		if (vp->labels && vp->label_ptrs) {
			for (size_t i = 0; i < m->npod_labels; i++) {
				tetragon__pod__pod_labels_entry__init(&vp->labels[i]);
				vp->labels[i].key = m->pod_labels[i].key;
				vp->labels[i].value = m->pod_labels[i].value;
				vp->label_ptrs[i] = &vp->labels[i];
			}
			vp->pod.n_pod_labels = m->npod_labels;
			vp->pod.pod_labels = vp->label_ptrs;
		}
	}
	return vp;
}

/* environment_variables: pointers into the process' shared pairs (it outlives its view). */
static void build_envs(struct view *v, const struct process *p)
{
	const struct envs_blob *b = p->envs;
	char *q = (char *)b->data;
	void *blk;

	blk = malloc(b->n * (sizeof(*v->envs) + sizeof(*v->env_ptrs)));
	if (!blk)
		return;		/* out of memory: the event goes without them */
	v->envs = blk;
	v->env_ptrs = (Tetragon__EnvVar **)(v->envs + b->n);
	for (uint32_t i = 0; i < b->n; i++) {
		Tetragon__EnvVar *e = &v->envs[i];

		tetragon__env_var__init(e);
		e->key = q;
		q += strlen(q) + 1;
		e->value = q;
		q += strlen(q) + 1;
		v->env_ptrs[i] = e;
	}
	v->proc.n_environment_variables = b->n;
	v->proc.environment_variables = v->env_ptrs;
}

/* The parent's view of its pod, when the parent has a view. */
static void *parent_pod_slot(const struct process *p)
{
	struct view *pv = p->parent ? p->parent->view : NULL;

	return pv ? pv->k8s_pod : NULL;
}

const Tetragon__Process *process_view(struct process *p, const struct process_view_opts *o)
{
	struct view *v = p->view;
	struct container *c = process_container(p);
	Tetragon__Process *m;

	/* built before its container's metadata changed: build it again */
	if (v && c && v->cgen != c->gen) {
		process_view_free(v);
		p->view = v = NULL;
	}
	if (v) {
		/* its pod became known since (or the view is older than the pod watch): encoded again with it */
		if (o->pods && k8s_pod_view_refresh(o->pods, p, &v->k8s_pod, parent_pod_slot(p))) {
			v->proc.pod = (Tetragon__Pod *)k8s_pod_view_msg(v->k8s_pod);
			protojson_fragment_release(&v->json);
		}
		return &v->proc;
	}
	v = calloc(1, sizeof(*v) + (o->cred ? sizeof(*v->cred) : 0) + (o->ns ? sizeof(*v->ns) : 0));
	if (!v)
		return NULL;
	{
		char *tail = (char *)(v + 1);

		if (o->cred) {
			v->cred = (struct view_cred *)tail;
			tail += sizeof(*v->cred);
		}
		if (o->ns)
			v->ns = (struct view_ns *)tail;
	}
	m = &v->proc;
	tetragon__process__init(m);
	m->exec_id = p->exec_id;
	u32v(&v->pid, p->pid);
	m->pid = &v->pid;
	u32v(&v->tid, p->tid ? p->tid : p->pid);
	m->tid = &v->tid;
	u32v(&v->uid, p->creds.euid);
	m->uid = &v->uid;
	u32v(&v->auid, p->auid);
	m->auid = &v->auid;
	m->cwd = p->cwd;
	m->binary = p->binary;
	m->arguments = p->arguments;
	process_flags_string(p->flags, v->flags, sizeof(v->flags));
	m->flags = v->flags;
	google__protobuf__timestamp__init(&v->start_time);
	v->start_time.seconds = (int64_t)(p->start_time_ns / 1000000000ULL);
	v->start_time.nanos = (int32_t)(p->start_time_ns % 1000000000ULL);
	m->start_time = &v->start_time;
	m->parent_exec_id = p->parent_exec_id;
	google__protobuf__bool_value__init(&v->in_init_tree);
	v->in_init_tree.value = (p->flags & EVENT_IN_INIT_TREE) != 0;
	m->in_init_tree = &v->in_init_tree;
	if (o->cred) {
		build_creds(v->cred, &p->creds);
		m->cap = &v->cred->cap;
		m->process_credentials = &v->cred->creds;
		build_bprops(v, p);
	} else {
		tetragon__binary_properties__init(&v->bprops);
	}
	build_file(v, p);
	if (p->envs && p->envs->n)
		build_envs(v, p);
	if (p->user_name) {
		tetragon__user_record__init(&v->user);
		v->user.name = p->user_name;
		m->user = &v->user;
	}
	if (o->ns) {
		build_ns(v->ns, &p->ns, &o->host_ns);
		m->ns = &v->ns->ns;
	}
	if (c) {
		/* process.docker: upstream's first 31 characters of the id */
		m->docker = c->docker;
		v->cgen = c->gen;
		v->pod = build_pod(p, c);
		if (v->pod)
			m->pod = &v->pod->pod;
	}
	/* the API server's pod, when it knows one, as upstream fills it */
	if (o->pods) {
		Tetragon__Pod *kp = (Tetragon__Pod *)k8s_pod_view(o->pods, p, &v->k8s_pod, parent_pod_slot(p));

		if (kp)
			m->pod = kp;
	}
	(void)live_add(v);	/* out of memory: the view is just encoded each time */
	p->view = v;
	return m;
}

size_t process_view_ancestors(struct process *p, const struct process_view_opts *o, uint32_t kind,
			      Tetragon__Process **out, size_t max, uint64_t *truncated)
{
	struct process *a;
	size_t n = 0;

	if (!(o->ancestors & ANCESTORS_BASE) || !(o->ancestors & kind) || p->pid <= 2)
		return 0;
	/* the parent is the event's `parent`; ancestors start above it */
	for (a = p->parent; a && a->pid > 2 && a->parent; a = a->parent) {
		const Tetragon__Process *v;

		if (n == max) {
			(*truncated)++;
			break;
		}
		v = process_view(a->parent, o);
		if (!v)
			break;
		out[n++] = (Tetragon__Process *)v;
	}
	return n;
}

const Tetragon__BinaryProperties *process_view_binary_properties(struct process *p,
								 const struct process_view_opts *o)
{
	struct view *v;

	if (!process_view(p, o))
		return NULL;
	v = p->view;
	return v->has_bprops ? &v->bprops : NULL;
}

void process_view_free(void *view)
{
	struct view *v = view;

	if (!v)
		return;
	live_del(v);
	free(v->envs);
	k8s_pod_view_free(v->k8s_pod);
	protojson_fragment_release(&v->json);
	view_pod_free(v->pod);
	free(v);
}
