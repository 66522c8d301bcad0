// SPDX-License-Identifier: Apache-2.0
/*
 * Process facts: --enable-ancestors parsing and the ancestors walk,
 * environment variables from exec records (filter, cut, hostile bytes) as
 * JSON, and user names from a passwd file read beneath a process' root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "encode/protojson.h"
#include "event/process_events.h"
#include "event/process_facts.h"
#include "filters/filters.h"
#include "process/cache.h"
#include "process/userdb.h"
#include "util/strbuf.h"

static void test_ancestors_parse(void **state)
{
	const char *unknown;
	int nb;

	(void)state;
	assert_int_equal(ancestors_parse("base", &unknown, &nb), ANCESTORS_BASE);
	assert_null(unknown);
	assert_int_equal(ancestors_parse("base,kprobe,tracepoint,uprobe,lsm,usdt,loader", &unknown, &nb),
			 ANCESTORS_BASE | ANCESTORS_KPROBE | ANCESTORS_TRACEPOINT | ANCESTORS_UPROBE | ANCESTORS_LSM |
				 ANCESTORS_USDT | ANCESTORS_LOADER);
	/* upstream: every other type needs base */
	assert_int_equal(ancestors_parse("kprobe,lsm", &unknown, &nb), 0);
	assert_int_equal(nb, 1);
	assert_int_equal(ancestors_parse("", &unknown, &nb), 0);
	assert_int_equal(nb, 0);
	assert_int_equal(ancestors_parse("lsm, base ,nope,,", &unknown, &nb), ANCESTORS_BASE | ANCESTORS_LSM);
	assert_string_equal(unknown, "nope");
}

static void test_envs_collect(void **state)
{
	static const char rec[] = "A=1\0B=x=y\0NOEQ\0\0C=\xff\xfe\xe2\x82z\0PARTIAL=abc";
	char *const filter[] = { "A", "NOEQ", "C", "PARTIAL" };
	struct envs_blob *b;
	uint64_t dropped = 0;

	(void)state;
	/* all of it, the record not cut: the last string ends where the record does */
	assert_int_equal(envs_collect(rec, sizeof(rec) - 1, 0, NULL, 0, NULL, &b, &dropped), 0);
	assert_int_equal(b->n, 5);
	assert_int_equal(b->len, sizeof("A\0" "1\0B\0x=y\0invalid\0NOEQ\0C\0\xef\xbf\xbdz\0PARTIAL\0abc"));
	assert_memory_equal(b->data, "A\0" "1\0B\0x=y\0invalid\0NOEQ\0C\0\xef\xbf\xbdz\0PARTIAL\0abc", b->len);
	envs_put(b);
	/* filtered by name (before the first '='), cut: the unterminated last one is dropped */
	assert_int_equal(envs_collect(rec, sizeof(rec) - 1, 1, filter, 4, NULL, &b, &dropped), 0);
	assert_int_equal(dropped, 1);
	assert_int_equal(b->n, 3);
	assert_memory_equal(b->data, "A\0" "1\0invalid\0NOEQ\0C\0\xef\xbf\xbdz", b->len);
	/* shared by reference */
	assert_ptr_equal(envs_get(b), b);
	assert_int_equal(b->refs, 2);
	envs_put(b);
	envs_put(b);
	/* nothing kept: no blob */
	assert_int_equal(envs_collect(rec, sizeof(rec) - 1, 0, (char *const[]){ "ZZ" }, 1, NULL, &b, &dropped), 0);
	assert_null(b);
}

struct capture {
	struct event_sink base;
	struct strbuf json;
};

static int capture_write(struct event_sink *s, const Tetragon__GetEventsResponse *ev)
{
	struct capture *c = (struct capture *)s;

	strbuf_reset(&c->json);
	return protojson_encode(&c->json, &ev->base);
}

struct env {
	struct pipeline pl;
	struct capture cap;
	struct process_events pe;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct process_cache_opts co = { .node_name = "n", .view_free = process_view_free };

	e->cap.base.name = "capture";
	e->cap.base.write = capture_write;
	pipeline_add_sink(&e->pl, &e->cap.base);
	assert_int_equal(process_cache_new(&e->pe.cache, &co), 0);
	e->pe.pipeline = &e->pl;
	e->pe.node_name = "n";
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	process_cache_free(e->pe.cache);
	strbuf_free(&e->cap.json);
	free(e);
	return 0;
}

/* An exec record of /bin/x with environment @envs (@elen bytes). */
static size_t make_exec(char *buf, uint32_t pid, uint64_t ktime, uint32_t ppid, uint64_t pktime, const char *envs,
			size_t elen, int cut)
{
	struct msg_exec *m = (struct msg_exec *)buf;
	char *d = (char *)(m + 1);

	memset(m, 0, sizeof(*m));
	m->common.op = MSG_OP_EXECVE;
	m->common.flags = cut ? MSG_EXEC_ENVS_TRUNC : 0;
	m->self.pid = pid;
	m->self.ktime = ktime;
	m->parent.pid = ppid;
	m->parent.ktime = pktime;
	m->parent_pid = ppid;
	m->tid = pid;
	m->flags = EVENT_EXECVE;
	m->filename_len = 6;
	m->cwd_len = 1;
	m->envs_len = (uint32_t)elen;
	memcpy(d, "/bin/x/", 7);
	memcpy(d + 7, envs, elen);
	m->common.size = (uint32_t)(sizeof(*m) + 7 + elen);
	return m->common.size;
}

static void test_envs_json(void **state)
{
	/* quotes, backslash, newline, ESC, a C1 control, invalid UTF-8, "</script>" */
	static const char envs[] = "K=\"\\\n\x1b[0m\xc2\x9b\xff</script>\0NOEQ\0E=\0";
	struct env *e = *state;
	char buf[4096];
	size_t n;

	n = make_exec(buf, 10, 100, 0, 0, envs, sizeof(envs) - 1, 0);
	/* off: nothing kept even when the record has them */
	process_events_handle(&e->pe, buf, n);
	assert_null(strstr(e->cap.json.buf, "environment_variables"));
	e->pe.envs = true;
	n = make_exec(buf, 11, 200, 10, 100, envs, sizeof(envs) - 1, 0);
	process_events_handle(&e->pe, buf, n);
	assert_non_null(strstr(e->cap.json.buf,
			       "\"environment_variables\":[{\"Key\":\"K\",\"Value\":\"\\\"\\\\\\n\\u001b[0m\xc2\x9b\xef\xbf\xbd"
			       "</script>\"},{\"Key\":\"invalid\",\"Value\":\"NOEQ\"},{\"Key\":\"E\"}]"));
	assert_int_equal(e->pe.envs_truncated, 0);
	/* a cut record: counted, the cut variable dropped */
	n = make_exec(buf, 12, 300, 10, 100, "A=1\0B=2", 7, 1);
	process_events_handle(&e->pe, buf, n);
	assert_non_null(strstr(e->cap.json.buf, "\"environment_variables\":[{\"Key\":\"A\",\"Value\":\"1\"}]"));
	assert_int_equal(e->pe.envs_truncated, 1);
	assert_int_equal(e->pe.envs_dropped, 1);
}

static void test_ancestors_walk(void **state)
{
	struct env *e = *state;
	Tetragon__Process *anc[4];
	uint64_t trunc = 0;
	struct process *p;
	char buf[1024];
	size_t n;

	/* 1 -> 100 -> 200 -> 300 -> 400 */
	process_events_handle(&e->pe, buf, make_exec(buf, 1, 10, 0, 0, "", 0, 0));
	process_events_handle(&e->pe, buf, make_exec(buf, 100, 20, 1, 10, "", 0, 0));
	process_events_handle(&e->pe, buf, make_exec(buf, 200, 30, 100, 20, "", 0, 0));
	process_events_handle(&e->pe, buf, make_exec(buf, 300, 40, 200, 30, "", 0, 0));
	assert_null(strstr(e->cap.json.buf, "ancestors"));	/* off by default */
	e->pe.view.ancestors = ANCESTORS_BASE;
	process_events_handle(&e->pe, buf, make_exec(buf, 400, 50, 300, 40, "", 0, 0));
	/* parent 300; ancestors 200, 100 and init */
	assert_non_null(strstr(e->cap.json.buf, "\"parent\":{\"exec_id\":\"bjo0MDozMDA=\""));
	assert_non_null(strstr(e->cap.json.buf, "\"ancestors\":[{\"exec_id\":\"bjozMDoyMDA=\""));
	p = process_cache_get(e->pe.cache, 400, 50);
	assert_non_null(p);
	n = process_view_ancestors(p, &e->pe.view, ANCESTORS_BASE, anc, 4, &trunc);
	assert_int_equal(n, 3);
	assert_int_equal(anc[0]->pid->value, 200);
	assert_int_equal(anc[1]->pid->value, 100);
	assert_int_equal(anc[2]->pid->value, 1);
	/* bounded: a longer chain is cut and counted */
	assert_int_equal(process_view_ancestors(p, &e->pe.view, ANCESTORS_BASE, anc, 2, &trunc), 2);
	assert_int_equal(trunc, 1);
	/* per event type */
	assert_int_equal(process_view_ancestors(p, &e->pe.view, ANCESTORS_KPROBE, anc, 4, &trunc), 0);
	e->pe.view.ancestors = ANCESTORS_BASE | ANCESTORS_KPROBE;
	assert_int_equal(process_view_ancestors(p, &e->pe.view, ANCESTORS_KPROBE, anc, 4, &trunc), 3);
	/* a child of init has none; neither has init */
	p = process_cache_get(e->pe.cache, 100, 20);
	assert_int_equal(process_view_ancestors(p, &e->pe.view, ANCESTORS_BASE, anc, 4, &trunc), 0);
	p = process_cache_get(e->pe.cache, 1, 10);
	assert_int_equal(process_view_ancestors(p, &e->pe.view, ANCESTORS_BASE, anc, 4, &trunc), 0);
}

static void test_ancestor_filter(void **state)
{
	Tetragon__GetEventsResponse ev = TETRAGON__GET_EVENTS_RESPONSE__INIT;
	Tetragon__ProcessExec ex = TETRAGON__PROCESS_EXEC__INIT;
	Tetragon__Process p = TETRAGON__PROCESS__INIT, a0 = TETRAGON__PROCESS__INIT, a1 = TETRAGON__PROCESS__INIT;
	Tetragon__Process *anc[2] = { &a0, &a1 };
	struct filter_set *fs = NULL;
	char err[512];

	(void)state;
	/* upstream's refusal without --enable-ancestors, naming the event type */
	filters_set_ancestors(0);
	assert_int_equal(filter_set_from_json(&fs, "{\"ancestor_binary_regex\":[\"sshd$\"]}", NULL, NULL, false, err,
					      sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ancestors are not enabled for PROCESS_EXEC event type"));
	/* base only: a filter for every type still needs the others */
	filters_set_ancestors(ANCESTORS_BASE);
	assert_int_equal(filter_set_from_json(&fs, "{\"ancestor_binary_regex\":[\"sshd$\"]}", NULL, NULL, false, err,
					      sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "PROCESS_KPROBE"));
	assert_int_equal(filter_set_from_json(&fs, "{\"event_set\":[\"PROCESS_EXEC\",\"PROCESS_EXIT\"],"
					      "\"ancestor_binary_regex\":[\"sshd$\"]}",
					      NULL, NULL, false, err, sizeof(err)), 0);
	p.binary = "/bin/ls";
	a0.binary = "/bin/bash";
	a1.binary = "/usr/sbin/sshd";
	ex.process = &p;
	ev.event_case = TETRAGON__GET_EVENTS_RESPONSE__EVENT_PROCESS_EXEC;
	ev.process_exec = &ex;
	assert_false(filter_set_match(fs, &ev));	/* no ancestors: no match */
	ex.n_ancestors = 2;
	ex.ancestors = anc;
	assert_true(filter_set_match(fs, &ev));
	a1.binary = "/usr/sbin/cron";
	assert_false(filter_set_match(fs, &ev));
	filter_set_free(fs);
	filters_set_ancestors(0);
}

/* A fake procfs: <dir>/proc/<pid>/root -> <dir>/<root>, <dir>/proc/<pid>/ns/mnt a file. */
static uint32_t fake_proc(const char *dir, uint32_t pid, const char *root)
{
	char p[512], t[1100];
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "%s/proc/%u/ns", dir, pid);
	snprintf(t, sizeof(t), "mkdir -p %s %s/%s/etc", p, dir, root);
	assert_int_equal(system(t), 0);
	snprintf(p, sizeof(p), "%s/proc/%u/ns/mnt", dir, pid);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/proc/%u/root", dir, pid);
	snprintf(t, sizeof(t), "%s/%s", dir, root);
	assert_int_equal(symlink(t, p), 0);
	/* a mount table without anything that could block */
	snprintf(p, sizeof(p), "%s/proc/%u/mountinfo", dir, pid);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	return (uint32_t)st.st_ino;
}

static void write_file(const char *path, const char *text);

/* mountinfo lines for pid's fake mount table */
static void fake_mounts(const char *dir, uint32_t pid, const char *text)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/proc/%u/mountinfo", dir, pid);
	write_file(p, text);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_userdb(void **state)
{
	char dir[] = "/tmp/tg-userdb-XXXXXX", p[512], procfs[512];
	struct userdb_key k = { 0 };
	struct userdb_stats st;
	struct userdb *db;
	uint32_t pid;
	char *name;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(procfs, sizeof(procfs), "%s/proc", dir);
	assert_int_equal(userdb_new(&db, procfs), 0);

	/* a plain file: the first entry of a uid wins; NIS lines, bad uids and odd names are skipped */
	k.mntns = fake_proc(dir, 10, "r1");
	snprintf(p, sizeof(p), "%s/r1/etc/passwd", dir);
	write_file(p, "+::0:0:::\n-x:x:1:1::/:\nroot:x:0:0::/:/bin/sh\nfirst:x:1000:1000::/:\n"
		      "second:x:1000:1000::/:\nbad uid:x:1001:1:::\nneg:x:-1:1:::\nbig:x:4294967296:1:::\n"
		      "esc\x1b:x:1002:1:::\nshort:x\nlast:x:7:7::/:");
	assert_int_equal(userdb_root_of(db, 10, k.mntns, &k.root_dev, &k.root_ino), 0);
	pid = 10;
	name = userdb_name(db, &k, &pid, 1, 0);
	assert_string_equal(name, "root");
	free(name);
	name = userdb_name(db, &k, &pid, 1, 1000);
	assert_string_equal(name, "first");
	free(name);
	name = userdb_name(db, &k, &pid, 1, 7);	/* no final newline */
	assert_string_equal(name, "last");
	free(name);
	assert_null(userdb_name(db, &k, &pid, 1, 1));
	assert_null(userdb_name(db, &k, &pid, 1, 1001));
	assert_null(userdb_name(db, &k, &pid, 1, 1002));
	assert_null(userdb_name(db, &k, &pid, 1, UINT32_MAX));
	/* replaced by a rename (useradd's way) and edited in place: seen at once */
	{
		char q[600];

		snprintf(q, sizeof(q), "%s/r1/etc/passwd.new", dir);
		write_file(q, "renamed:x:0:0::/:\n");
		assert_int_equal(rename(q, p), 0);
		name = userdb_name(db, &k, &pid, 1, 0);
		assert_string_equal(name, "renamed");
		free(name);
		write_file(p, "edited:x:0:0::/:\nlast:x:7:7::/:\nfirst:x:1000:1000::/:\n");
		name = userdb_name(db, &k, &pid, 1, 0);
		assert_string_equal(name, "edited");
		free(name);
	}
	/* cached: answered without the process (gone now) */
	snprintf(p, sizeof(p), "%s/proc/10/root", dir);
	unlink(p);
	name = userdb_name(db, &k, &pid, 1, 0);
	assert_string_equal(name, "edited");
	free(name);

	/* another root: an absolute symlink resolves beneath it, not in ours */
	{
		struct userdb_key k2 = { 0 };
		uint32_t pids[2] = { 30, 20 };	/* 30 is gone: the next one is asked */

		k2.mntns = fake_proc(dir, 20, "r2");
		snprintf(p, sizeof(p), "%s/r2/etc/passwd", dir);
		assert_int_equal(symlink("/inside", p), 0);
		snprintf(p, sizeof(p), "%s/r2/inside", dir);
		write_file(p, "inside:x:0:0::/:\n");
		assert_int_equal(userdb_root_of(db, 20, k2.mntns, &k2.root_dev, &k2.root_ino), 0);
		name = userdb_name(db, &k2, pids, 2, 0);
		assert_string_equal(name, "inside");
		free(name);
		/* gone from a root still there: no name, not the old one */
		snprintf(p, sizeof(p), "%s/r2/inside", dir);
		assert_int_equal(unlink(p), 0);
		assert_null(userdb_name(db, &k2, pids, 2, 0));
		/* in the wrong mount namespace: not read */
		k2.mntns++;
		k2.root_ino++;
		assert_null(userdb_name(db, &k2, pids, 2, 0));
	}
	/* a symlink loop, a FIFO, a file too large: no name, and no hang */
	{
		struct userdb_key k3 = { 0 };
		uint32_t pid3 = 40;
		int fd;

		k3.mntns = fake_proc(dir, 40, "r3");
		snprintf(p, sizeof(p), "%s/r3/etc/passwd", dir);
		assert_int_equal(symlink("../../../../../../etc/passwd", p), 0);
		assert_int_equal(userdb_root_of(db, 40, k3.mntns, &k3.root_dev, &k3.root_ino), 0);
		assert_null(userdb_name(db, &k3, &pid3, 1, 0));
		unlink(p);
		assert_int_equal(mkfifo(p, 0600), 0);
		k3.root_dev++;	/* a new key: not the cached (empty) one */
		assert_null(userdb_name(db, &k3, &pid3, 1, 0));
		unlink(p);
		fd = open(p, O_CREAT | O_WRONLY, 0600);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, USERDB_FILE_MAX + 1), 0);
		close(fd);
		k3.root_dev++;
		assert_null(userdb_name(db, &k3, &pid3, 1, 0));
	}
	/* a file system a process can make wait: on the path no lookup at all, elsewhere no symlink followed */
	{
		struct userdb_key k4 = { 0 }, k5 = { 0 };
		uint32_t pid4 = 50, pid5 = 60;

		k4.mntns = fake_proc(dir, 50, "r4");
		snprintf(p, sizeof(p), "%s/r4/etc/passwd", dir);
		write_file(p, "four:x:0:0::/:\n");
		fake_mounts(dir, 50, "20 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
				     "21 20 0:50 / /etc\\040x rw - fuse.sshfs x rw\n"
				     "22 20 0:51 / /etc rw - fuse.sshfs u@h: rw\n");
		assert_int_equal(userdb_root_of(db, 50, k4.mntns, &k4.root_dev, &k4.root_ino), 0);
		assert_null(userdb_name(db, &k4, &pid4, 1, 0));
		k5.mntns = fake_proc(dir, 60, "r5");
		snprintf(p, sizeof(p), "%s/r5/realpw", dir);
		write_file(p, "five:x:0:0::/:\n");
		snprintf(p, sizeof(p), "%s/r5/etc/passwd", dir);
		assert_int_equal(symlink("/realpw", p), 0);
		fake_mounts(dir, 60, "30 1 0:52 / /home/u/mnt rw - fuse x rw\n");
		assert_int_equal(userdb_root_of(db, 60, k5.mntns, &k5.root_dev, &k5.root_ino), 0);
		assert_null(userdb_name(db, &k5, &pid5, 1, 0));
		/* the same root, once that mount is gone (a new key: the fake table is not pollable) */
		fake_mounts(dir, 60, "30 1 0:52 / /home/u/mnt rw - ext4 x rw\n");
		k5.root_dev++;
		name = userdb_name(db, &k5, &pid5, 1, 0);
		assert_string_equal(name, "five");
		free(name);
	}
	userdb_get_stats(db, &st);
	assert_int_equal(st.resolved, 8);
	assert_int_equal(st.unknown_uid, 4);
	assert_int_equal(st.failed, 7);
	assert_int_equal(st.reads, 5);
	userdb_free(db);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ancestors_parse),
		cmocka_unit_test(test_envs_collect),
		cmocka_unit_test_setup_teardown(test_envs_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ancestors_walk, setup, teardown),
		cmocka_unit_test(test_userdb),
		cmocka_unit_test(test_ancestor_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
