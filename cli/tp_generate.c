// SPDX-License-Identifier: Apache-2.0
/*
 * "tetra tracingpolicy generate GENERATOR": upstream's policy generators,
 * run offline from this node's kernel (BTF, tracefs) or a binary's ELF.
 * The YAML goes to stdout (keys sorted, as upstream's marshaller writes
 * them); notes about what was left out go to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <yaml.h>

#include "cli/rpc_cli.h"
#include "cli/tetra.h"
#include "filters/regex.h"
#include "policy/tp_generate.h"
#include "sensors/usdt_notes.h"
#include "sensors/syscall_table.h"
#include "util/strbuf.h"

#define TRACEFS "/sys/kernel/tracing"
#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define NT_STAPSDT 3

static const struct tetra_cmd tp_generate_cmd;

static void generate_help(FILE *out)
{
	fprintf(out,
		"Print a TracingPolicy made by one of upstream's generators:\n"
		"  empty                 a policy named \"empty\" with no hooks\n"
		"  all-syscalls          one syscall kprobe per system call this kernel has\n"
		"  all-syscalls-list     one syscall kprobe on a syscalls list of them\n"
		"  ftrace-list           one kprobe on a list of the kernel's ftrace-able functions\n"
		"                        (-r REGEX keeps those matching, Go regexp syntax)\n"
		"  uprobes -b BINARY     one uprobe on every function symbol of BINARY\n"
		"  usdts -b BINARY       one usdt per USDT probe of BINARY, with its arguments\n\n"
		"System calls are x86_64's that the kernel's BTF has (__x64_sys_NAME; the\n"
		"TETRAGON_BTF environment variable names another BTF file, as upstream) and, since\n"
		"this agent serves syscall kprobes through the syscalls/sys_enter_* tracepoints,\n"
		"that tracefs traces; the ones left out are listed on stderr. ftrace-list reads\n"
		"tracefs' available_filter_functions (its kprobes need a kernel with kprobes).\n"
		"Stripped Go binaries (no ELF symbols, only .gopclntab) are not read by uprobes.\n\n"
		"Options:\n"
		"  -m, --match-binary PATH     add a matchBinaries In PATH selector to each kprobe\n"
		"  -r, --regex REGEX           ftrace-list: only functions matching REGEX\n"
		"  -b, --binary PATH           uprobes, usdts: the binary to read\n\n"
		"Example:\n"
		"  tetra tracingpolicy generate all-syscalls-list -m /usr/bin/curl > p.yaml\n"
		"  tetra tracingpolicy validate p.yaml\n");
}

/* ---- YAML out --------------------------------------------------------------------------- */

struct y {
	yaml_emitter_t e;
	int err;
};

static int write_stdout(void *data, unsigned char *buf, size_t size)
{
	(void)data;
	return fwrite(buf, 1, size, stdout) == size;
}

static void y_event(struct y *y, yaml_event_t *ev, int ok)
{
	if (!ok || !yaml_emitter_emit(&y->e, ev))
		y->err = 1;
}

static void y_map(struct y *y)
{
	yaml_event_t ev;

	if (!y->err)
		y_event(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static void y_map_end(struct y *y)
{
	yaml_event_t ev;

	if (!y->err)
		y_event(y, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void y_seq(struct y *y)
{
	yaml_event_t ev;

	if (!y->err)
		y_event(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
}

static void y_seq_end(struct y *y)
{
	yaml_event_t ev;

	if (!y->err)
		y_event(y, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void y_scalar(struct y *y, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!y->err)
		y_event(y, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
							       style));
}

/* A string value: plain when that reads back as the same string, else quoted (libyaml escapes). */
static void y_str(struct y *y, const char *s)
{
	y_scalar(y, s, tp_gen_yaml_ambiguous(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

static void y_kv(struct y *y, const char *k, const char *v)
{
	y_scalar(y, k, YAML_PLAIN_SCALAR_STYLE);
	y_str(y, v);
}

static void y_kbool(struct y *y, const char *k, bool v)
{
	y_scalar(y, k, YAML_PLAIN_SCALAR_STYLE);
	y_scalar(y, v ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
}

static void y_kuint(struct y *y, const char *k, unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	y_scalar(y, k, YAML_PLAIN_SCALAR_STYLE);
	y_scalar(y, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void y_key(struct y *y, const char *k)
{
	y_scalar(y, k, YAML_PLAIN_SCALAR_STYLE);
}

static void y_str_list(struct y *y, const char *k, char *const *v, size_t n)
{
	y_key(y, k);
	y_seq(y);
	for (size_t i = 0; i < n; i++)
		y_str(y, v[i]);
	y_seq_end(y);
}

/* apiVersion, kind, metadata, then "spec:" opened: the caller fills it. */
static void y_begin(struct y *y, const char *name)
{
	yaml_event_t ev;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	yaml_emitter_initialize(&y->e);
	yaml_emitter_set_output(&y->e, write_stdout, NULL);
	yaml_emitter_set_unicode(&y->e, 1);
	yaml_emitter_set_width(&y->e, -1);
	y_event(y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	y_event(y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	y_map(y);
	y_kv(y, "apiVersion", "cilium.io/v1alpha1");
	y_kv(y, "kind", "TracingPolicy");
	y_key(y, "metadata");
	y_map(y);
	/* as upstream's generator, which sets it to now */
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	y_kv(y, "creationTimestamp", ts);
	y_kv(y, "name", name);
	y_map_end(y);
	y_key(y, "spec");
}

static int y_end(struct y *y)
{
	const char *problem;
	yaml_event_t ev;
	int bad;

	y_map_end(y);	/* spec */
	y_map_end(y);	/* the document */
	if (!y->err)
		y_event(y, &ev, yaml_document_end_event_initialize(&ev, 1));
	if (!y->err)
		y_event(y, &ev, yaml_stream_end_event_initialize(&ev));
	if (!y->err && !yaml_emitter_flush(&y->e))
		y->err = 1;
	problem = y->e.problem;	/* a static string of libyaml's */
	yaml_emitter_delete(&y->e);
	bad = y->err || fflush(stdout);
	if (bad)
		fprintf(stderr, "tetra tracingpolicy generate: writing the policy failed: %s\n",
			problem ? problem : strerror(errno));
	return bad ? TETRA_EXIT_FAIL : TETRA_EXIT_OK;
}

static void y_match_binary(struct y *y, const char *match_binary)
{
	char *v[1] = { (char *)match_binary };

	if (!match_binary)
		return;
	y_key(y, "selectors");
	y_seq(y);
	y_map(y);
	y_key(y, "matchBinaries");
	y_seq(y);
	y_map(y);
	y_kv(y, "operator", "In");
	y_str_list(y, "values", v, 1);
	y_map_end(y);
	y_seq_end(y);
	y_map_end(y);
	y_seq_end(y);
}

/* One kprobes entry, with the fields upstream's marshaller writes, keys sorted. */
static void y_kprobe(struct y *y, const char *call, bool syscall, const char *match_binary)
{
	y_map(y);
	y_kv(y, "call", call);
	y_kv(y, "message", "");
	y_kbool(y, "return", false);
	y_match_binary(y, match_binary);
	y_kbool(y, "syscall", syscall);
	y_map_end(y);
}

/* ---- names ------------------------------------------------------------------------------- */

struct names {
	char **v;
	size_t n, cap;
};

static int names_add(struct names *l, const char *s, size_t len)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		char **nv = realloc(l->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n] = strndup(s, len);
	if (!l->v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static void names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * x86_64's system calls this kernel has: the BTF function __x64_sys_NAME
 * (upstream's test) and, when tracefs lists syscall events, its
 * syscalls/sys_enter_NAME tracepoint (this agent attaches there).
 */
static int available_syscalls(struct names *out)
{
	const char *path = getenv("TETRAGON_BTF");
	struct names left = { 0 };
	struct btf *btf;
	bool have_tp;
	int err = 0;

	if (path && *path) {
		if (access(path, R_OK)) {
			fprintf(stderr, "tetra tracingpolicy generate: failed to find BTF: %s\n", path);
			return -ENOENT;
		}
	} else {
		path = VMLINUX_BTF;
	}
	btf = btf__parse(path, NULL);
	if (!btf) {
		fprintf(stderr, "tetra tracingpolicy generate: BTF load failed: %s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	have_tp = !access(TRACEFS "/events/syscalls", F_OK);
	for (int nr = 0; nr < SYSCALL_NR_MAX && !err; nr++) {
		const char *name = syscall_name_x86_64(nr);
		char sym[128], tp[256];

		if (!name)
			continue;
		snprintf(sym, sizeof(sym), "__x64_sys_%s", name);
		if (btf__find_by_name_kind(btf, sym, BTF_KIND_FUNC) < 0)
			continue;
		snprintf(tp, sizeof(tp), TRACEFS "/events/syscalls/sys_enter_%s", name);
		if (have_tp && access(tp, F_OK))
			err = names_add(&left, name, strlen(name));
		else
			err = names_add(out, name, strlen(name));
	}
	btf__free(btf);
	if (!err && left.n) {
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < left.n; i++)
			strbuf_addf(&sb, "%s%s", i ? ", " : "", left.v[i]);
		fprintf(stderr, "tetra tracingpolicy generate: left out %zu system call(s) the kernel has no "
				"syscalls/sys_enter_* tracepoint for: %s\n", left.n, sb.buf ? sb.buf : "");
		strbuf_free(&sb);
	}
	if (!err && !out->n) {
		fprintf(stderr, "tetra tracingpolicy generate: no x86_64 system call found in %s\n", path);
		err = -ENOENT;
	}
	names_free(&left);
	return err;
}

/* ---- generators ------------------------------------------------------------------------ */

struct gen_opts {
	const char *match_binary, *regex, *binary;
};

static int gen_empty(const struct gen_opts *o)
{
	struct y y = { 0 };

	(void)o;
	y_begin(&y, "empty");
	y_map(&y);
	return y_end(&y);
}

static int gen_all_syscalls(const struct gen_opts *o)
{
	struct names sc = { 0 };
	struct y y = { 0 };
	int rc;

	if (available_syscalls(&sc)) {
		names_free(&sc);
		return TETRA_EXIT_FAIL;
	}
	y_begin(&y, "syscalls");
	y_map(&y);
	y_key(&y, "kprobes");
	y_seq(&y);
	for (size_t i = 0; i < sc.n; i++)
		y_kprobe(&y, sc.v[i], true, o->match_binary);
	y_seq_end(&y);
	rc = y_end(&y);
	names_free(&sc);
	return rc;
}

static void y_list(struct y *y, const char *name, const char *type, const struct names *v)
{
	y_key(y, "lists");
	y_seq(y);
	y_map(y);
	y_kv(y, "name", name);
	if (type)
		y_kv(y, "type", type);
	y_str_list(y, "values", v->v, v->n);
	y_map_end(y);
	y_seq_end(y);
}

static int gen_all_syscalls_list(const struct gen_opts *o)
{
	struct names sc = { 0 };
	struct y y = { 0 };
	int rc;

	if (available_syscalls(&sc)) {
		names_free(&sc);
		return TETRA_EXIT_FAIL;
	}
	y_begin(&y, "syscalls");
	y_map(&y);
	y_key(&y, "kprobes");
	y_seq(&y);
	y_kprobe(&y, "list:syscalls", true, o->match_binary);
	y_seq_end(&y);
	y_list(&y, "syscalls", "syscalls", &sc);
	rc = y_end(&y);
	names_free(&sc);
	return rc;
}

/* tracefs' available_filter_functions up to the first module symbol, sorted, unique, filtered. */
static int gen_ftrace_list(const struct gen_opts *o)
{
	struct tg_regex *re = NULL;
	struct names fn = { 0 };
	struct y y = { 0 };
	char *line = NULL, err[512];
	size_t cap = 0, u = 0;
	ssize_t n;
	FILE *f;
	int rc = TETRA_EXIT_FAIL;

	if (o->regex && tg_regex_compile(&re, o->regex, TG_REGEX_MAX_MEM, err, sizeof(err))) {
		tetra_eprintf("tetra tracingpolicy generate: --regex: %s", err);
		return TETRA_EXIT_USAGE;
	}
	f = fopen(TRACEFS "/available_filter_functions", "re");
	if (!f) {
		fprintf(stderr, "tetra tracingpolicy generate: %s/available_filter_functions: %s\n", TRACEFS,
			strerror(errno));
		goto out;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		/* "func [module]": the kernel's own functions come first */
		if (strchr(line, ' '))
			break;
		if (n && names_add(&fn, line, (size_t)n)) {
			fclose(f);
			goto out;
		}
	}
	fclose(f);
	if (fn.n)
		qsort(fn.v, fn.n, sizeof(*fn.v), cmp_str);
	for (size_t i = 0; i < fn.n; i++) {
		bool keep = (!u || strcmp(fn.v[u - 1], fn.v[i])) && !strstr(fn.v[i], "__ftrace_invalid_address__") &&
			    (!re || tg_regex_match(re, fn.v[i]));

		if (keep)
			fn.v[u++] = fn.v[i];
		else
			free(fn.v[i]);
	}
	fn.n = u;
	if (!fn.n) {
		tetra_eprintf("tetra tracingpolicy generate: ftrace: '%s' not found", o->regex ? o->regex : "");
		goto out;
	}
	y_begin(&y, "ftrace");
	y_map(&y);
	y_key(&y, "kprobes");
	y_seq(&y);
	y_kprobe(&y, "list:ftrace", false, o->match_binary);
	y_seq_end(&y);
	y_list(&y, "ftrace", NULL, &fn);
	rc = y_end(&y);
out:
	free(line);
	names_free(&fn);
	tg_regex_free(re);
	return rc;
}

/* The ELF of path, or NULL after saying why. */
static Elf *open_elf(const char *path, int *fd)
{
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		fprintf(stderr, "tetra tracingpolicy generate: libelf: %s\n", elf_errmsg(-1));
		return NULL;
	}
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		fprintf(stderr, "tetra tracingpolicy generate: failed to open '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	e = elf_begin(*fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		fprintf(stderr, "tetra tracingpolicy generate: '%s' is not an ELF file%s%s\n", path, e ? "" : ": ",
			e ? "" : elf_errmsg(-1));
		if (e)
			elf_end(e);
		close(*fd);
		return NULL;
	}
	return e;
}

/* Function symbols with an address, .symtab then .dynsym, each name once. */
static int elf_functions(Elf *e, struct names *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int pass;

	if (elf_getshdrstrndx(e, &shstrndx))
		return -EINVAL;
	for (pass = 0; pass < 2; pass++) {
		Elf64_Word want = pass ? SHT_DYNSYM : SHT_SYMTAB;

		scn = NULL;
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || !sh.sh_entsize)
				continue;
			d = elf_getdata(scn, NULL);
			for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym s;
				const char *name;

				if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC || !s.st_value)
					continue;
				name = elf_strptr(e, sh.sh_link, s.st_name);
				if (!name || !*name)
					continue;
				if (names_add(out, name, strlen(name)))
					return -ENOMEM;
			}
		}
	}
	/* unique, first occurrence kept */
	{
		size_t u = 0;

		for (size_t i = 0; i < out->n; i++) {
			bool dup = false;

			/* symbol tables are a few thousand entries: a scan of the kept ones is fine */
			for (size_t k = 0; k < u && !dup; k++)
				dup = !strcmp(out->v[k], out->v[i]);
			if (dup)
				free(out->v[i]);
			else
				out->v[u++] = out->v[i];
		}
		out->n = u;
	}
	return 0;
}

static int gen_uprobes(const struct gen_opts *o)
{
	struct names fn = { 0 };
	struct y y = { 0 };
	int fd, rc = TETRA_EXIT_FAIL;
	Elf *e;

	if (!o->binary) {
		fprintf(stderr, "tetra tracingpolicy generate: binary is not specified, please use --binary option\n");
		return TETRA_EXIT_USAGE;
	}
	e = open_elf(o->binary, &fd);
	if (!e)
		return TETRA_EXIT_FAIL;
	if (elf_functions(e, &fn)) {
		fprintf(stderr, "tetra tracingpolicy generate: failed to read the symbols of '%s': %s\n", o->binary,
			elf_errmsg(-1));
	} else if (!fn.n) {
		fprintf(stderr, "tetra tracingpolicy generate: '%s' has no function symbols (a stripped binary; a "
				"stripped Go binary's .gopclntab is not read by this tetra)\n", o->binary);
	} else {
		y_begin(&y, "uprobes");
		y_map(&y);
		y_key(&y, "uprobes");
		y_seq(&y);
		y_map(&y);
		y_kv(&y, "message", "");
		y_kv(&y, "path", o->binary);
		y_kbool(&y, "return", false);
		y_str_list(&y, "symbols", fn.v, fn.n);
		y_map_end(&y);
		y_seq_end(&y);
		rc = y_end(&y);
	}
	names_free(&fn);
	elf_end(e);
	close(fd);
	return rc;
}

struct usdt {
	char *provider, *name;
	size_t nargs;
	char *label[TP_GEN_USDT_MAX_ARGS];
	const char *type[TP_GEN_USDT_MAX_ARGS];
};

static int usdt_parse_args(struct usdt *u, const char *args, const char *path)
{
	int err = tp_gen_usdt_split(args, u->label, TP_GEN_USDT_MAX_ARGS, &u->nargs);

	if (err == -E2BIG) {
		tetra_eprintf("tetra tracingpolicy generate: failed to retrieve usdt targets '%s': %s:%s: more than %d "
			      "arguments", path, u->provider, u->name, TP_GEN_USDT_MAX_ARGS);
		return -EINVAL;
	}
	if (err)
		return err;
	for (size_t i = 0; i < u->nargs; i++) {
		u->type[i] = tp_gen_usdt_arg_type(u->label[i]);
		if (!u->type[i]) {
			tetra_eprintf("tetra tracingpolicy generate: failed to retrieve usdt targets '%s': %s:%s: "
				      "cannot read argument \"%s\" (want SIZE@LOCATION, SIZE 1, 2, 4 or 8)", path,
				      u->provider, u->name, u->label[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static void usdt_free(struct usdt *u)
{
	free(u->provider);
	free(u->name);
	for (size_t i = 0; i < u->nargs; i++)
		free(u->label[i]);
}

/* Every probe of the file's .note.stapsdt (src/sensors/usdt_notes.c reads them), with its arguments' labels. */
static int file_usdts(const char *path, struct usdt **out, size_t *n)
{
	struct usdt_probe *pr = NULL;
	size_t np = 0;
	char why[512];
	int err = usdt_find(path, NULL, NULL, &pr, &np, why, sizeof(why));

	*out = NULL;
	*n = 0;
	if (err) {
		if (err != -ENOMEM)
			fprintf(stderr, "tetra tracingpolicy generate: %s\n", why);
		return err;
	}
	if (np && !(*out = calloc(np, sizeof(**out)))) {
		usdt_probes_free(pr, np);
		return -ENOMEM;
	}
	for (size_t i = 0; i < np && !err; i++) {
		struct usdt *u = &(*out)[(*n)++];

		u->provider = strdup(pr[i].provider);
		u->name = strdup(pr[i].name);
		err = !u->provider || !u->name ? -ENOMEM : usdt_parse_args(u, pr[i].args, path);
	}
	usdt_probes_free(pr, np);
	return err;
}

static int gen_usdts(const struct gen_opts *o)
{
	struct usdt *v = NULL;
	struct y y = { 0 };
	size_t n = 0;
	int r, rc = TETRA_EXIT_FAIL;

	if (!o->binary) {
		fprintf(stderr, "tetra tracingpolicy generate: binary is not specified, please use --binary option\n");
		return TETRA_EXIT_USAGE;
	}
	r = file_usdts(o->binary, &v, &n);
	if (r) {
		if (r == -ENOMEM)
			fprintf(stderr, "tetra tracingpolicy generate: out of memory\n");
	} else if (!n) {
		fprintf(stderr, "tetra tracingpolicy generate: '%s' has no USDT probes (no .note.stapsdt notes)\n",
			o->binary);
	} else {
		y_begin(&y, "usdts");
		y_map(&y);
		y_key(&y, "usdts");
		y_seq(&y);
		for (size_t i = 0; i < n; i++) {
			y_map(&y);
			if (v[i].nargs) {
				y_key(&y, "args");
				y_seq(&y);
				for (size_t k = 0; k < v[i].nargs; k++) {
					y_map(&y);
					y_kuint(&y, "index", (unsigned)k);
					y_kv(&y, "label", v[i].label[k]);
					y_kv(&y, "type", v[i].type[k]);
					y_map_end(&y);
				}
				y_seq_end(&y);
			}
			y_kv(&y, "message", "");
			y_kv(&y, "name", v[i].name);
			y_kv(&y, "path", o->binary);
			y_kv(&y, "provider", v[i].provider);
			y_map_end(&y);
		}
		y_seq_end(&y);
		rc = y_end(&y);
	}
	for (size_t i = 0; i < n; i++)
		usdt_free(&v[i]);
	free(v);
	return rc;
}

static const struct generator {
	const char *name;
	int (*run)(const struct gen_opts *o);
} generators[] = {
	{ "empty", gen_empty },
	{ "all-syscalls", gen_all_syscalls },
	{ "all-syscalls-list", gen_all_syscalls_list },
	{ "ftrace-list", gen_ftrace_list },
	{ "uprobes", gen_uprobes },
	{ "usdts", gen_usdts },
};

static int generate_run(int argc, char **argv)
{
	const struct generator *g = NULL;
	struct gen_opts o = { 0 };
	const char *v;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (tetra_is_help(argv[i])) {
			tetra_usage(&tp_generate_cmd, stdout);
			return TETRA_EXIT_OK;
		}
		r = tetra_opt(argc, argv, &i, "tracingpolicy generate", "--match-binary", "-m", &v);
		if (r > 0)
			o.match_binary = v;
		if (!r) {
			r = tetra_opt(argc, argv, &i, "tracingpolicy generate", "--regex", "-r", &v);
			if (r > 0)
				o.regex = v;
		}
		if (!r) {
			r = tetra_opt(argc, argv, &i, "tracingpolicy generate", "--binary", "-b", &v);
			if (r > 0)
				o.binary = v;
		}
		if (r < 0)
			return TETRA_EXIT_USAGE;
		if (r)
			continue;
		if (argv[i][0] != '-' && !g) {
			for (size_t k = 0; k < sizeof(generators) / sizeof(generators[0]); k++)
				if (!strcmp(argv[i], generators[k].name))
					g = &generators[k];
			if (g)
				continue;
			fprintf(stderr, "tetra tracingpolicy generate: unknown generator \"%s\" (see tetra tracingpolicy "
					"generate --help)\n", argv[i]);
			return TETRA_EXIT_USAGE;
		}
		fprintf(stderr, "tetra tracingpolicy generate: unexpected argument \"%s\" (see tetra tracingpolicy "
				"generate --help)\n", argv[i]);
		return TETRA_EXIT_USAGE;
	}
	if (!g) {
		fprintf(stderr, "Usage: tetra tracingpolicy generate GENERATOR [-m PATH]\n"
				"Generators: empty, all-syscalls, all-syscalls-list, ftrace-list, uprobes, usdts\n");
		return TETRA_EXIT_USAGE;
	}
	if (o.regex && g->run != gen_ftrace_list) {
		fprintf(stderr, "tetra tracingpolicy generate: --regex is for ftrace-list only\n");
		return TETRA_EXIT_USAGE;
	}
	if (o.binary && g->run != gen_uprobes && g->run != gen_usdts) {
		fprintf(stderr, "tetra tracingpolicy generate: --binary is for uprobes and usdts only\n");
		return TETRA_EXIT_USAGE;
	}
	return g->run(&o);
}

static const struct tetra_cmd tp_generate_cmd = {
	.parent = "tracingpolicy",
	.name = "generate",
	.args = "GENERATOR [-m PATH]",
	.summary = "Print a policy made by one of upstream's generators (offline)",
	.run = generate_run,
	.help = generate_help,
};
TETRA_COMMAND(tp_generate_cmd)
