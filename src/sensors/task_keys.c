// SPDX-License-Identifier: Apache-2.0
#include "sensors/task_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi/msg_process.h"
#include "task_iter.skel.h"

static int by_tgid(const void *a, const void *b)
{
	const struct task_key_rec *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

int task_keys_read(struct task_keys *k, char *why, size_t whylen)
{
	struct task_iter_bpf *skel;
	struct bpf_link *link = NULL;
	size_t cap = 0, bytes = 0;
	char *buf = NULL;
	int fd = -1, err;

	memset(k, 0, sizeof(*k));
	skel = task_iter_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(why, whylen, "loading the iter/task program: %s", strerror(-err));
		return err;
	}
	link = bpf_program__attach_iter(skel->progs.tg_task_keys, NULL);
	if (!link) {
		err = -errno;
		snprintf(why, whylen, "attaching the task iterator: %s", strerror(-err));
		goto out;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "creating the task iterator: %s", strerror(-err));
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (cap - bytes < 4096) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				err = -ENOMEM;
				snprintf(why, whylen, "out of memory");
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		n = read(fd, buf + bytes, cap - bytes);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			snprintf(why, whylen, "reading the task iterator: %s", strerror(-err));
			goto out;
		}
		if (!n)
			break;
		bytes += (size_t)n;
	}
	k->n = bytes / sizeof(struct task_key_rec);
	k->v = (struct task_key_rec *)buf;
	buf = NULL;
	if (k->n)
		qsort(k->v, k->n, sizeof(*k->v), by_tgid);
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	task_iter_bpf__destroy(skel);
	free(buf);
	return err;
}

int task_keys_find(const struct task_keys *k, uint32_t tgid, uint64_t *ktime)
{
	struct task_key_rec key = { .tgid = tgid }, *r;

	if (!k->n)
		return -ENOENT;
	r = bsearch(&key, k->v, k->n, sizeof(*k->v), by_tgid);
	if (!r)
		return -ENOENT;
	*ktime = r->ktime;
	return 0;
}

void task_keys_free(struct task_keys *k)
{
	free(k->v);
	memset(k, 0, sizeof(*k));
}
