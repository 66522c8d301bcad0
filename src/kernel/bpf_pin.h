/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Enforcement that outlives the agent (--keep-sensors-on-exit): the
 * programs, maps and links of the lifecycle sensor and of every policy
 * instance are pinned in bpffs as they are loaded, under upstream's layout:
 *
 *   /sys/fs/bpf/<bpf-dir>/                   root (--bpf-dir, default "tetragon")
 *     execve_map, ...                         the lifecycle sensor's maps
 *     __base__/<program>/{prog,link}          its programs
 *     <policy>/<sensor>/<id>-<hook>/          one policy instance: link<k>,
 *        prog_<program>, <map>                its programs and maps
 *
 * A pinned link keeps its program attached when the agent is gone, even
 * SIGKILLed. The next agent moves the tree to <root>_old, loads and
 * attaches its own (pinned again), and removes <root>_old only then: no
 * moment without enforcement, and the old programs' records go to their
 * own ring buffer, which nobody reads (no duplicate events).
 * --release-pinned-bpf (default true, as upstream) removes the tree at
 * startup instead. At a clean exit the tree goes unless
 * --keep-sensors-on-exit. Nothing is pinned without it.
 *
 * Process-wide state: one agent per process. Not thread-safe (the event
 * loop's thread, and startup).
 */
#ifndef TG_KERNEL_BPF_PIN_H
#define TG_KERNEL_BPF_PIN_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;
struct bpf_link;

#define BPF_PIN_FS_ROOT "/sys/fs/bpf"
#define BPF_PIN_DEFAULT_DIR "tetragon"

struct bpf_pin_opts {
	const char *bpf_dir;	/* name under /sys/fs/bpf; NULL: "tetragon" */
	bool keep;		/* --keep-sensors-on-exit: pin, and leave pinned at exit */
	bool release;		/* --release-pinned-bpf: remove the previous tree at startup */
};

/*
 * At startup, before anything is loaded: mounts bpffs on /sys/fs/bpf when
 * missing (keep only), then releases or sets aside the previous tree.
 * -EINVAL (a bad --bpf-dir) or -errno with the reason in why.
 */
int bpf_pin_setup(const struct bpf_pin_opts *o, char *why, size_t whylen);
/* Is pinning on? */
bool bpf_pin_enabled(void);
/* The tree's path, or NULL when pinning is off. */
const char *bpf_pin_root(void);

/*
 * Pin obj's loaded programs (prog_<name>), its created maps (<name>) and
 * the links (link<k>) under <root>/<rel> (created). With
 * prog_dirs, upstream's base layout instead: each program at
 * <rel>/<program>/prog and its link at <rel>/<program>/link (links[k]
 * belongs to the k-th program of obj; NULL ones are skipped), maps at
 * <root>/<name>. No-op when pinning is off. 0, or -errno with what could not
 * be pinned in why (the caller warns: the hook runs, but does not
 * outlive the agent).
 */
int bpf_pin_object(const char *rel, struct bpf_object *obj, struct bpf_link *const *links, size_t nlinks,
		   bool prog_dirs, char *why, size_t whylen);
/*
 * "<policy>/<sensor>/<id>-<hook>", "<ns>:<policy>/..." for a namespaced
 * policy (ns NULL or "": cluster-wide), every component a safe file name.
 */
void bpf_pin_inst_path(char *buf, size_t len, const char *ns, const char *policy, const char *sensor, unsigned id,
		       const char *hook);
/* Unpin <root>/<rel> (a torn-down instance): no-op when off or leaving. */
void bpf_pin_remove(const char *rel);
/* After the first policies are attached: drop <root>_old (the previous agent's programs detach). */
void bpf_pin_handoff_done(void);
/*
 * At exit: with keep, leave everything pinned (bpf_pin_remove is a no-op
 * from here on); otherwise remove the tree.
 */
void bpf_pin_exit(void);

#endif
