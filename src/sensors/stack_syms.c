// SPDX-License-Identifier: Apache-2.0
/* Stack trace symbols: /proc/kallsyms, /proc/PID/maps and ELF symbol tables. */
#include "sensors/stack_syms.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ARENA_SIZE	(64 * 1024)	/* names handed out for one event */
#define NAME_MAX_LEN	256		/* a longer symbol or path is cut */
#define KALLSYMS_RETRY_S 30		/* reread at most this often when an address is outside it */

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset in names */
};

struct usym {
	uint64_t off;		/* file offset of the function */
	uint64_t size;
	uint32_t name;
};

struct module {
	bool used;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	uint64_t last_use;
	struct usym *v;
	size_t n;
	char *names;
};

struct map {
	uint64_t start, end, off;
	uint32_t path;		/* offset in maps_paths */
};

struct stack_syms {
	char procfs[128];
	/* kallsyms: sorted by address */
	struct ksym *k;
	size_t nk;
	char *knames;
	bool k_loaded;
	time_t k_time;
	/* the event's process */
	uint32_t pid;
	bool maps_loaded;
	struct map *maps;
	size_t nmaps;
	char *maps_paths;
	size_t maps_paths_len, maps_paths_cap;
	struct module mods[STACK_SYMS_MODULES];
	uint64_t clock;
	char arena[ARENA_SIZE];
	size_t arena_len;
	struct stack_syms_stats st;
};

struct stack_syms *stack_syms_new(const char *procfs)
{
	struct stack_syms *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	snprintf(s->procfs, sizeof(s->procfs), "%s", procfs ? procfs : "/proc");
	elf_version(EV_CURRENT);
	return s;
}

static void module_clear(struct module *m)
{
	free(m->v);
	free(m->names);
	memset(m, 0, sizeof(*m));
}

void stack_syms_free(struct stack_syms *s)
{
	if (!s)
		return;
	free(s->k);
	free(s->knames);
	free(s->maps);
	free(s->maps_paths);
	for (size_t i = 0; i < STACK_SYMS_MODULES; i++)
		module_clear(&s->mods[i]);
	free(s);
}

void stack_syms_get_stats(const struct stack_syms *s, struct stack_syms_stats *st)
{
	*st = s->st;
}

/* A copy of n bytes of p in the event's arena (cut to what is left). */
static const char *arena_put(struct stack_syms *s, const char *p, size_t n)
{
	char *d;

	if (n > NAME_MAX_LEN)
		n = NAME_MAX_LEN;
	if (s->arena_len + 1 >= ARENA_SIZE)
		return "";
	if (n > ARENA_SIZE - s->arena_len - 1)
		n = ARENA_SIZE - s->arena_len - 1;
	d = s->arena + s->arena_len;
	memcpy(d, p, n);
	d[n] = 0;
	s->arena_len += n + 1;
	return d;
}

void stack_syms_begin(struct stack_syms *s, uint32_t pid)
{
	s->arena_len = 0;
	s->pid = pid;
	s->maps_loaded = false;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* /proc/kallsyms' function symbols ("ADDR T name [module]"); 0 or -errno. */
static int kallsyms_load(struct stack_syms *s)
{
	char path[160], line[512];
	struct ksym *v = NULL;
	char *names = NULL;
	size_t n = 0, cap = 0, nl = 0, ncap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kallsyms", s->procfs);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[NAME_MAX_LEN];
		size_t l;

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		l = strlen(name) + 1;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			struct ksym *nv = realloc(v, nc * sizeof(*v));

			if (!nv)
				goto nomem;
			v = nv;
			cap = nc;
		}
		if (nl + l > ncap) {
			size_t nc = ncap ? ncap * 2 : 1 << 20;
			char *nn = realloc(names, nc);

			if (!nn)
				goto nomem;
			names = nn;
			ncap = nc;
		}
		memcpy(names + nl, name, l);
		v[n].addr = addr;
		v[n].name = (uint32_t)nl;
		n++;
		nl += l;
	}
	fclose(f);
	qsort(v, n, sizeof(*v), ksym_cmp);
	free(s->k);
	free(s->knames);
	s->k = v;
	s->nk = n;
	s->knames = names;
	s->st.kallsyms_loads++;
	return 0;
nomem:
	fclose(f);
	free(v);
	free(names);
	return -ENOMEM;
}

static const struct ksym *ksym_find(const struct stack_syms *s, uint64_t addr)
{
	size_t lo = 0, hi = s->nk;

	if (!s->nk || addr < s->k[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->k[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &s->k[lo];
}

bool stack_syms_kernel(struct stack_syms *s, uint64_t addr, const char **sym, uint64_t *off)
{
	const struct ksym *k;
	time_t now = time(NULL);

	k = s->k_loaded ? ksym_find(s, addr) : NULL;
	if (!s->k_loaded || ((!k || k == &s->k[s->nk - 1]) && now - s->k_time >= KALLSYMS_RETRY_S)) {
		/* first use, or an address past the last symbol (a module loaded since) */
		s->k_loaded = true;
		s->k_time = now;
		kallsyms_load(s);
	}
	k = ksym_find(s, addr);
	if (!k) {
		s->st.kernel_unknown++;
		return false;
	}
	*sym = s->knames + k->name;
	*off = addr - k->addr;
	return true;
}

/* /proc/PID/maps of the event's process: its file mappings. */
static void maps_load(struct stack_syms *s)
{
	char path[160], line[4096 + 128];
	FILE *f;

	s->maps_loaded = true;
	s->nmaps = 0;
	s->maps_paths_len = 0;
	snprintf(path, sizeof(path), "%s/%u/maps", s->procfs, s->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (s->nmaps < STACK_SYMS_MAX_MAPS && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		int pos = 0;
		char *p;
		size_t l;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end, &off, &pos) != 3 || !pos)
			continue;
		p = line + pos;
		l = strcspn(p, "\n");
		if (!l)
			continue;	/* anonymous */
		if (s->nmaps % 256 == 0) {
			struct map *nv = realloc(s->maps, (s->nmaps + 256) * sizeof(*nv));

			if (!nv)
				break;
			s->maps = nv;
		}
		if (s->maps_paths_len + l + 1 > s->maps_paths_cap) {
			size_t nc = (s->maps_paths_len + l + 1) * 2;
			char *nn = realloc(s->maps_paths, nc);

			if (!nn)
				break;
			s->maps_paths = nn;
			s->maps_paths_cap = nc;
		}
		memcpy(s->maps_paths + s->maps_paths_len, p, l);
		s->maps_paths[s->maps_paths_len + l] = 0;
		s->maps[s->nmaps++] = (struct map){ start, end, off, (uint32_t)s->maps_paths_len };
		s->maps_paths_len += l + 1;
	}
	fclose(f);
}

static int usym_cmp(const void *a, const void *b)
{
	const struct usym *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* The function symbols of ELF file fd into m (file offsets); 0 or -errno. */
static int module_read(struct module *m, int fd)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	Elf_Scn *scn = NULL;
	size_t n = 0, cap = 0, nl = 0, ncap = 0, shnum;
	int err = -ENOEXEC;

	if (!e)
		return -ENOEXEC;
	if (elf_kind(e) != ELF_K_ELF || elf_getshdrnum(e, &shnum))
		goto out;
	err = 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && n < STACK_SYMS_MAX_SYMS; i++) {
			GElf_Sym sym;
			GElf_Shdr ssh;
			Elf_Scn *ss;
			const char *name;
			size_t l;

			if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_size ||
			    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= shnum || sym.st_shndx >= SHN_LORESERVE)
				continue;
			ss = elf_getscn(e, sym.st_shndx);
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!ss || !gelf_getshdr(ss, &ssh) || !name || !*name || sym.st_value < ssh.sh_addr)
				continue;
			l = strnlen(name, NAME_MAX_LEN - 1);
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 1024;
				struct usym *nv = realloc(m->v, nc * sizeof(*nv));

				if (!nv) {
					err = -ENOMEM;
					goto out;
				}
				m->v = nv;
				cap = nc;
			}
			if (nl + l + 1 > ncap) {
				size_t nc = (nl + l + 1) * 2;
				char *nn = realloc(m->names, nc);

				if (!nn) {
					err = -ENOMEM;
					goto out;
				}
				m->names = nn;
				ncap = nc;
			}
			memcpy(m->names + nl, name, l);
			m->names[nl + l] = 0;
			/* where the function's bytes are in the file, as maps' offsets count */
			m->v[n++] = (struct usym){ sym.st_value - ssh.sh_addr + ssh.sh_offset, sym.st_size, (uint32_t)nl };
			nl += l + 1;
		}
	}
	if (n)
		qsort(m->v, n, sizeof(*m->v), usym_cmp);
	m->n = n;
out:
	elf_end(e);
	return err;
}

/* The cached symbols of the file mapped at mp (read on a miss, evicting the least used). */
static struct module *module_get(struct stack_syms *s, const struct map *mp)
{
	char path[160];
	struct module *m, *victim = NULL;
	struct stat stt;
	int fd;

	/* the process' own file, whatever its mount namespace */
	snprintf(path, sizeof(path), "%s/%u/map_files/%" PRIx64 "-%" PRIx64, s->procfs, s->pid, mp->start, mp->end);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &stt) || !S_ISREG(stt.st_mode)) {
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < STACK_SYMS_MODULES; i++) {
		m = &s->mods[i];
		if (m->used && m->dev == stt.st_dev && m->ino == stt.st_ino && m->mtime.tv_sec == stt.st_mtim.tv_sec &&
		    m->mtime.tv_nsec == stt.st_mtim.tv_nsec) {
			close(fd);
			m->last_use = ++s->clock;
			return m;
		}
		if (!victim || !m->used || (victim->used && m->last_use < victim->last_use))
			victim = m;
	}
	module_clear(victim);
	victim->used = true;
	victim->dev = stt.st_dev;
	victim->ino = stt.st_ino;
	victim->mtime = stt.st_mtim;
	victim->last_use = ++s->clock;
	s->st.elf_loads++;
	if (module_read(victim, fd) < 0)
		s->st.elf_errors++;	/* kept, empty: not read again for every frame */
	close(fd);
	return victim;
}

static const char *usym_find(const struct module *m, uint64_t off)
{
	size_t lo = 0, hi = m->n;

	/* the last function starting at or before off, then the ones before it that may be larger */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, k = 0; i > 0 && k < 16; i--, k++)
		if (off - m->v[i - 1].off < m->v[i - 1].size)
			return m->names + m->v[i - 1].name;
	return NULL;
}

bool stack_syms_user(struct stack_syms *s, uint64_t addr, const char **module, uint64_t *off, const char **sym)
{
	const struct map *mp = NULL;
	const struct module *m;
	const char *name;
	size_t lo = 0, hi;

	if (!s->maps_loaded)
		maps_load(s);
	hi = s->nmaps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nmaps && s->maps[lo].start <= addr)
		mp = &s->maps[lo];
	if (!mp) {
		s->st.user_unmapped++;
		return false;
	}
	*off = addr - mp->start + mp->off;
	name = s->maps_paths + mp->path;
	*module = arena_put(s, name, strlen(name));
	m = name[0] == '/' ? module_get(s, mp) : NULL;
	name = m ? usym_find(m, *off) : NULL;
	if (!name) {
		s->st.user_no_symbol++;
		*sym = "";
		return true;
	}
	*sym = arena_put(s, name, strlen(name));
	return true;
}
