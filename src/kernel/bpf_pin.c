// SPDX-License-Identifier: Apache-2.0
#include "kernel/bpf_pin.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "util/log.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static struct {
	bool on;		/* pinning */
	bool keep;
	bool leaving;		/* at exit with keep: unpin nothing */
	char root[PATH_MAX];	/* /sys/fs/bpf/<bpf-dir> */
	char old[PATH_MAX];	/* the previous agent's tree set aside, "" none */
} pin;

static bool on_bpffs(const char *path)
{
	struct statfs sf;

	return !statfs(path, &sf) && (unsigned long)sf.f_type == (unsigned long)BPF_FS_MAGIC;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT)
		log_warn("bpffs: cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/* rm -rf of a tree on bpffs (never anything else: the path is checked first). */
static int remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!on_bpffs(path)) {
		log_warn("bpffs: %s is not on a BPF filesystem: left alone", path);
		return -EINVAL;
	}
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) ? -errno : 0;
}

static int mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t l = strlen(path);

	if (l >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, l + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* --bpf-dir: a name (or relative path) under /sys/fs/bpf, as upstream joins it. */
static int check_dir_name(const char *d, char *why, size_t whylen)
{
	const char *c = d;

	while (*c == '/')
		c++;
	if (!*c) {
		snprintf(why, whylen, "--bpf-dir: empty: want a directory name under %s (default %s)",
			 BPF_PIN_FS_ROOT, BPF_PIN_DEFAULT_DIR);
		return -EINVAL;
	}
	for (const char *p = c; *p;) {
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			snprintf(why, whylen, "--bpf-dir: \"%s\": \".\" and \"..\" are not allowed (a directory "
				 "under %s)", d, BPF_PIN_FS_ROOT);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
				snprintf(why, whylen, "--bpf-dir: control characters are not allowed");
				return -EINVAL;
			}
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

static int mount_bpffs(char *why, size_t whylen)
{
	if (on_bpffs(BPF_PIN_FS_ROOT))
		return 0;
	if (mkdir(BPF_PIN_FS_ROOT, 0755) && errno != EEXIST) {
		snprintf(why, whylen, "--keep-sensors-on-exit: creating %s: %s", BPF_PIN_FS_ROOT, strerror(errno));
		return -errno;
	}
	if (mount("bpf", BPF_PIN_FS_ROOT, "bpf", 0, "mode=0700")) {
		int err = errno;

		snprintf(why, whylen, "--keep-sensors-on-exit: mounting the BPF filesystem on %s: %s (mount it: "
			 "mount -t bpf bpf %s)", BPF_PIN_FS_ROOT, strerror(err), BPF_PIN_FS_ROOT);
		return -err;
	}
	log_info("bpffs: mounted the BPF filesystem on %s", BPF_PIN_FS_ROOT);
	return 0;
}

int bpf_pin_setup(const struct bpf_pin_opts *o, char *why, size_t whylen)
{
	const char *d = o->bpf_dir ? o->bpf_dir : BPF_PIN_DEFAULT_DIR;
	int err;

	memset(&pin, 0, sizeof(pin));
	err = check_dir_name(d, why, whylen);
	if (err)
		return err;
	while (*d == '/')
		d++;
	if ((size_t)snprintf(pin.root, sizeof(pin.root), "%s/%s", BPF_PIN_FS_ROOT, d) >= sizeof(pin.root) - 8) {
		snprintf(why, whylen, "--bpf-dir: too long");
		return -ENAMETOOLONG;
	}
	/* no trailing '/': <root>_old must be its sibling */
	for (size_t l = strlen(pin.root); l && pin.root[l - 1] == '/'; l--)
		pin.root[l - 1] = '\0';
	pin.keep = o->keep;
	if (o->keep) {
		err = mount_bpffs(why, whylen);
		if (err)
			return err;
	}
	char old[PATH_MAX];

	snprintf(old, sizeof(old), "%s_old", pin.root);
	if (o->release) {
		if (o->keep && !access(pin.root, F_OK))
			log_warn("--release-pinned-bpf and --keep-sensors-on-exit together: the previous "
				 "agent's programs in %s are removed before this one's are attached (set "
				 "--release-pinned-bpf=false for a handover without a gap)", pin.root);
		if (!access(pin.root, F_OK) && !remove_tree(pin.root))
			log_info("bpffs: released the pinned BPF programs and maps of %s", pin.root);
		if (!access(old, F_OK))
			remove_tree(old);
	} else if (!access(pin.root, F_OK) && on_bpffs(pin.root)) {
		/* a leftover of an interrupted handover goes; then the live tree is set aside */
		if (!access(old, F_OK))
			remove_tree(old);
		if (rename(pin.root, old)) {
			err = -errno;
			snprintf(why, whylen, "bpffs: moving the previous agent's %s to %s: %s", pin.root, old,
				 strerror(-err));
			return err;
		}
		snprintf(pin.old, sizeof(pin.old), "%s", old);
		log_info("bpffs: found pinned BPF programs in %s: moved to %s, kept attached until this agent's "
			 "policies are", pin.root, old);
	}
	if (!o->keep)
		return 0;
	err = mkdirs(pin.root);
	if (err) {
		snprintf(why, whylen, "--keep-sensors-on-exit: creating %s: %s", pin.root, strerror(-err));
		return err;
	}
	if (!on_bpffs(pin.root)) {
		snprintf(why, whylen, "--keep-sensors-on-exit: %s is not on a BPF filesystem", pin.root);
		return -EINVAL;
	}
	pin.on = true;
	log_info("bpffs: pinning BPF programs, maps and links in %s: enforcement stays when the agent exits",
		 pin.root);
	return 0;
}

bool bpf_pin_enabled(void)
{
	return pin.on;
}

const char *bpf_pin_root(void)
{
	return pin.on ? pin.root : NULL;
}

/* A name pinned in bpffs: no '/', not "." nor "..", printable. */
static void safe_component(char *dst, size_t len, const char *src)
{
	size_t k = 0;

	for (; src && *src && k + 1 < len; src++)
		dst[k++] = (*src == '/' || (unsigned char)*src <= 0x20 || *src == 0x7f) ? '_' : *src;
	dst[k] = '\0';
	if (!k || !strcmp(dst, ".") || !strcmp(dst, ".."))
		snprintf(dst, len, "_");
}

void bpf_pin_inst_path(char *buf, size_t len, const char *ns, const char *policy, const char *sensor, unsigned id,
		       const char *hook)
{
	char q[512], p[NAME_MAX + 1], s[64], h[128];

	/* upstream's policy directory: <namespace>:<name> for a namespaced policy, so same names do not collide */
	snprintf(q, sizeof(q), "%s%s%s", ns && *ns ? ns : "", ns && *ns ? ":" : "", policy ? policy : "");
	safe_component(p, sizeof(p), q);
	safe_component(s, sizeof(s), sensor);
	safe_component(h, sizeof(h), hook);
	snprintf(buf, len, "%s/%s/%u-%s", p, s, id, h);
}

static int pin_fd(int fd, const char *dir, const char *name, char *why, size_t whylen)
{
	char path[PATH_MAX];
	char n[128];

	safe_component(n, sizeof(n), name);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, n) >= sizeof(path)) {
		snprintf(why, whylen, "pinning %s in %s: the path is too long", n, dir);
		return -ENAMETOOLONG;
	}
	/* a stale pin of the same name (an id reused after a crash) is replaced */
	unlink(path);
	if (bpf_obj_pin(fd, path)) {
		int err = -errno;

		snprintf(why, whylen, "pinning %s: %s%s", path, strerror(-err),
			 err == -EINVAL ? " (not a BPF link: attached the legacy way)" : "");
		return err;
	}
	return 0;
}

int bpf_pin_object(const char *rel, struct bpf_object *obj, struct bpf_link *const *links, size_t nlinks,
		   bool prog_dirs, char *why, size_t whylen)
{
	char dir[PATH_MAX], sub[PATH_MAX], name[32];
	struct bpf_program *prog;
	struct bpf_map *m;
	size_t k = 0;
	int err;

	if (!pin.on)
		return 0;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", pin.root, rel) >= sizeof(dir) - 160) {
		snprintf(why, whylen, "pinning under %s: the path is too long", pin.root);
		return -ENAMETOOLONG;
	}
	err = mkdirs(dir);
	if (err) {
		snprintf(why, whylen, "creating %s: %s", dir, strerror(-err));
		return err;
	}
	bpf_object__for_each_map(m, obj) {
		/* .rodata, .bss: compiled-in configuration, held by the programs (and not pinnable when frozen) */
		if (bpf_map__fd(m) < 0 || bpf_map__is_internal(m))
			continue;
		/* the base sensor's maps are global, at the root, as upstream's */
		err = pin_fd(bpf_map__fd(m), prog_dirs ? pin.root : dir, bpf_map__name(m), why, whylen);
		if (err)
			return err;
	}
	bpf_object__for_each_program(prog, obj) {
		size_t i = k++;

		if (bpf_program__fd(prog) < 0)
			continue;
		if (!prog_dirs) {
			snprintf(sub, sizeof(sub), "prog_%s", bpf_program__name(prog));
			err = pin_fd(bpf_program__fd(prog), dir, sub, why, whylen);
		} else {
			char pn[128];

			safe_component(pn, sizeof(pn), bpf_program__name(prog));
			if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, pn) >= sizeof(sub) - 8)
				return -ENAMETOOLONG;
			err = mkdirs(sub);
			if (err) {
				snprintf(why, whylen, "creating %s: %s", sub, strerror(-err));
				return err;
			}
			err = pin_fd(bpf_program__fd(prog), sub, "prog", why, whylen);
			if (!err && i < nlinks && links[i])
				err = pin_fd(bpf_link__fd(links[i]), sub, "link", why, whylen);
		}
		if (err)
			return err;
	}
	for (size_t i = 0; !prog_dirs && i < nlinks; i++) {
		snprintf(name, sizeof(name), "link%zu", i);
		err = pin_fd(bpf_link__fd(links[i]), dir, name, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

void bpf_pin_remove(const char *rel)
{
	char dir[PATH_MAX];
	char *slash;

	if (!pin.on || pin.leaving)
		return;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", pin.root, rel) >= sizeof(dir))
		return;
	remove_tree(dir);
	/* the policy's and sensor's directories, once empty */
	for (int i = 0; i < 2 && (slash = strrchr(dir, '/')) && (size_t)(slash - dir) > strlen(pin.root); i++) {
		*slash = '\0';
		if (rmdir(dir))
			break;
	}
}

void bpf_pin_handoff_done(void)
{
	if (!pin.old[0])
		return;
	if (!remove_tree(pin.old))
		log_info("bpffs: removed %s: the previous agent's programs are detached, this agent's enforce",
			 pin.old);
	pin.old[0] = '\0';
}

void bpf_pin_exit(void)
{
	/* the startup failed before this agent's policies ran: the previous agent's programs stay */
	if (pin.old[0]) {
		remove_tree(pin.root);
		if (rename(pin.old, pin.root))
			log_warn("bpffs: restoring %s as %s: %s", pin.old, pin.root, strerror(errno));
		else
			log_info("bpffs: the previous agent's programs stay attached, pinned in %s", pin.root);
		pin.old[0] = '\0';
		pin.leaving = true;
		return;
	}
	if (!pin.on)
		return;
	/* pins exist only with --keep-sensors-on-exit */
	pin.leaving = true;
	log_info("bpffs: --keep-sensors-on-exit: BPF programs stay attached, pinned in %s", pin.root);
}
