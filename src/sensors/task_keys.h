/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exec_id key of every running process, read from the kernel with a
 * BPF task iterator (bpf/task_iter.bpf.c) at startup: the one its exec or
 * fork record gave it, so processes found in /proc keep their exec_ids
 * across agent restarts.
 */
#ifndef TG_SENSORS_TASK_KEYS_H
#define TG_SENSORS_TASK_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct task_keys {
	struct task_key_rec *v;	/* sorted by tgid */
	size_t n;
};

/* 0, or -errno with why (no task iterators on this kernel, ...). */
int task_keys_read(struct task_keys *k, char *why, size_t whylen);
/* tgid's key ktime: 0, or -ENOENT. */
int task_keys_find(const struct task_keys *k, uint32_t tgid, uint64_t *ktime);
void task_keys_free(struct task_keys *k);

#endif
