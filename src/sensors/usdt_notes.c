// SPDX-License-Identifier: Apache-2.0
/*
 * USDT probes from an ELF file's .note.stapsdt (SystemTap SDT notes,
 * version 3, as sys/sdt.h writes them): per note, three address words (the
 * probe's pc, the link-time address of .stapsdt.base, the semaphore's
 * address) and three NUL-terminated strings (provider, name, argument
 * spec). The argument spec is GNU as operands with a size prefix:
 * "-4@%edi 8@-16(%rbp) -8@(%rsp,%rax,8) 4@$5".
 */
#include "sensors/usdt_notes.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NT_STAPSDT 3

/* x86_64 registers by every name of their low parts, with their slot in struct pt_regs */
static const struct {
	const char *names[4];
	uint16_t off;
} regs[] = {
	{ { "rax", "eax", "ax", "al" }, 80 },	{ { "rbx", "ebx", "bx", "bl" }, 40 },
	{ { "rcx", "ecx", "cx", "cl" }, 88 },	{ { "rdx", "edx", "dx", "dl" }, 96 },
	{ { "rsi", "esi", "si", "sil" }, 104 }, { { "rdi", "edi", "di", "dil" }, 112 },
	{ { "rbp", "ebp", "bp", "bpl" }, 32 },	{ { "rsp", "esp", "sp", "spl" }, 152 },
	{ { "r8", "r8d", "r8w", "r8b" }, 72 },	{ { "r9", "r9d", "r9w", "r9b" }, 64 },
	{ { "r10", "r10d", "r10w", "r10b" }, 56 }, { { "r11", "r11d", "r11w", "r11b" }, 48 },
	{ { "r12", "r12d", "r12w", "r12b" }, 24 }, { { "r13", "r13d", "r13w", "r13b" }, 16 },
	{ { "r14", "r14d", "r14w", "r14b" }, 8 },	{ { "r15", "r15d", "r15w", "r15b" }, 0 },
	{ { "rip" }, 128 },
};

/* "%name" at *s (advanced past it) to its pt_regs offset; -1: not a register this agent reads */
static int reg_off(const char **s, char *name, size_t nlen)
{
	size_t n = 0;

	if (**s != '%')
		return -1;
	(*s)++;
	while (((**s >= 'a' && **s <= 'z') || (**s >= '0' && **s <= '9')) && n + 1 < nlen)
		name[n++] = *(*s)++;
	name[n] = 0;
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (size_t k = 0; k < 4 && regs[i].names[k]; k++)
			if (!strcmp(name, regs[i].names[k]))
				return regs[i].off;
	return -1;
}

/* The idx-th whitespace-separated operand of args into buf; false: fewer operands. */
static bool nth_arg(const char *args, unsigned idx, char *buf, size_t len)
{
	unsigned k = 0;

	for (const char *p = args;;) {
		size_t n;

		p += strspn(p, " \t");
		if (!*p)
			return false;
		n = strcspn(p, " \t");
		if (k++ == idx) {
			snprintf(buf, len, "%.*s", (int)n, p);
			return true;
		}
		p += n;
	}
}

unsigned usdt_arg_count(const char *args)
{
	char buf[8];
	unsigned n = 0;

	while (args && nth_arg(args, n, buf, sizeof(buf)))
		n++;
	return n;
}

/* A signed integer (decimal or 0x hex) at *s, advanced past it. */
static bool parse_int(const char **s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(*s, &end, 0);
	if (end == *s || errno)
		return false;
	*s = end;
	return true;
}

int usdt_arg_parse(const char *args, unsigned idx, struct usdt_arg_spec *spec, char *why, size_t len)
{
	char op[128], rname[16];
	const char *s = op;
	long long size;
	int r;

	memset(spec, 0, sizeof(*spec));
	spec->idx_off = USDT_NO_IDX;
	if (!args || !nth_arg(args, idx, op, sizeof(op))) {
		snprintf(why, len, "the probe has %u arguments (\"%s\"), no argument %u", usdt_arg_count(args),
			 args ? args : "", idx);
		return -ENOENT;
	}
	if (!parse_int(&s, &size) || *s != '@' || !(size == 1 || size == 2 || size == 4 || size == 8 ||
						    size == -1 || size == -2 || size == -4 || size == -8)) {
		snprintf(why, len, "argument %u \"%s\": want SIZE@OPERAND with SIZE 1, 2, 4 or 8 (negative: "
			 "signed)", idx, op);
		return -EINVAL;
	}
	s++;
	spec->size = (uint8_t)(size < 0 ? -size : size);
	spec->is_signed = size < 0;
	if (*s == '$') {
		s++;
		spec->kind = USDT_ARG_CONST;
		if (!parse_int(&s, &spec->val) || *s)
			goto bad;
		return 0;
	}
	if (*s == '%') {
		spec->kind = USDT_ARG_REG;
		r = reg_off(&s, rname, sizeof(rname));
		if (r < 0 || *s)
			goto bad_reg;
		spec->reg_off = (uint16_t)r;
		return 0;
	}
	/* memory: [DISP](%BASE[,%INDEX[,SCALE]]) */
	spec->kind = USDT_ARG_DEREF;
	if (*s != '(' && !parse_int(&s, &spec->val))
		goto bad;
	if (*s++ != '(')
		goto bad;
	r = reg_off(&s, rname, sizeof(rname));
	if (r < 0)
		goto bad_reg;
	spec->reg_off = (uint16_t)r;
	if (*s == ',') {
		long long scale = 1;

		s++;
		r = reg_off(&s, rname, sizeof(rname));
		if (r < 0)
			goto bad_reg;
		spec->idx_off = (uint16_t)r;
		if (*s == ',') {
			s++;
			if (!parse_int(&s, &scale))
				goto bad;
		}
		switch (scale) {
		case 1: spec->shift = 0; break;
		case 2: spec->shift = 1; break;
		case 4: spec->shift = 2; break;
		case 8: spec->shift = 3; break;
		default: goto bad;
		}
	}
	if (*s++ != ')' || *s)
		goto bad;
	return 0;
bad_reg:
	snprintf(why, len, "argument %u \"%s\": register %%%s is not one this agent reads (the 64-bit "
		 "general registers, their 32/16/8-bit low parts and rip are)", idx, op, rname);
	return -EINVAL;
bad:
	/* e.g. a symbol's address "8@counter(%rip)", which needs the symbol table at run time */
	snprintf(why, len, "argument %u \"%s\": operand not supported (registers, constants and memory at "
		 "a numeric displacement from a register, with an optional index register, are)", idx, op);
	return -EINVAL;
}

void usdt_probes_free(struct usdt_probe *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].provider);
		free(v[i].name);
		free(v[i].args);
	}
	free(v);
}

/* The file offset of virtual address addr, through the loadable segment holding it. */
static bool vaddr_off(Elf *e, uint64_t addr, uint64_t *off)
{
	size_t n = 0;

	if (elf_getphdrnum(e, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && addr >= ph.p_vaddr &&
		    addr < ph.p_vaddr + ph.p_filesz) {
			*off = addr - ph.p_vaddr + ph.p_offset;
			return true;
		}
	}
	return false;
}

static int scan(Elf *e, const char *path, const char *provider, const char *name, struct usdt_probe **out,
		size_t *n, char *why, size_t len)
{
	size_t shstrndx, cap = 0, word = gelf_getclass(e) == ELFCLASS32 ? 4 : 8;
	uint64_t base_addr = 0;
	bool has_base = false;
	Elf_Scn *scn = NULL;

	if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx)) {
		snprintf(why, len, "usdt: %s is not an ELF file", path);
		return -ENOEXEC;
	}
	/* .stapsdt.base: where the file is linked now; notes record where it was at build time (prelink) */
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *sname;

		if (gelf_getshdr(scn, &sh) && (sname = elf_strptr(e, shstrndx, sh.sh_name)) &&
		    !strcmp(sname, ".stapsdt.base")) {
			base_addr = sh.sh_addr;
			has_base = true;
		}
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *sname;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		sname = elf_strptr(e, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".note.stapsdt"))
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const char *desc = (const char *)d->d_buf + doff, *p, *end = desc + nh.n_descsz;
			const char *f[3];
			uint64_t w[3] = { 0 };
			struct usdt_probe pr = { 0 };

			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp((const char *)d->d_buf + noff, "stapsdt", 8) || nh.n_descsz < 3 * word)
				continue;
			for (int k = 0; k < 3; k++)
				memcpy(&w[k], desc + k * word, word);	/* little-endian host and file */
			p = desc + 3 * word;
			for (int k = 0; k < 3; k++) {
				const char *z = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;

				if (!z) {
					snprintf(why, len, "usdt: %s: malformed .note.stapsdt entry (unterminated "
						 "strings)", path);
					return -EINVAL;
				}
				f[k] = p;
				p = z + 1;
			}
			if (provider && (strcmp(f[0], provider) || strcmp(f[1], name)))
				continue;
			pr.pc = w[0];
			if (has_base && w[1])
				pr.pc += base_addr - w[1];
			pr.sema = w[2];
			if (!vaddr_off(e, pr.pc, &pr.pc_off)) {
				snprintf(why, len, "usdt %s:%s in %s: address %#llx is in no loadable segment", f[0],
					 f[1], path, (unsigned long long)pr.pc);
				return -EINVAL;
			}
			if (pr.sema && !vaddr_off(e, pr.sema, &pr.sema_off)) {
				snprintf(why, len, "usdt %s:%s in %s: semaphore address %#llx is in no loadable "
					 "segment", f[0], f[1], path, (unsigned long long)pr.sema);
				return -EINVAL;
			}
			if (*n == cap) {
				size_t nc = cap ? cap * 2 : 4;
				struct usdt_probe *nv = realloc(*out, nc * sizeof(*nv));

				if (!nv)
					return -ENOMEM;
				*out = nv;
				cap = nc;
			}
			pr.provider = strdup(f[0]);
			pr.name = strdup(f[1]);
			pr.args = strdup(f[2]);
			(*out)[(*n)++] = pr;
			if (!pr.provider || !pr.name || !pr.args)
				return -ENOMEM;
		}
	}
	return 0;
}

int usdt_find(const char *path, const char *provider, const char *name, struct usdt_probe **out, size_t *n,
	      char *why, size_t len)
{
	int fd, err;
	Elf *e;

	*out = NULL;
	*n = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EIO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, len, "usdt path %s: %s", path, strerror(-err));
		return err;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e) {
		snprintf(why, len, "usdt: %s is not an ELF file", path);
		close(fd);
		return -ENOEXEC;
	}
	err = scan(e, path, provider, name, out, n, why, len);
	if (err == -ENOMEM)
		snprintf(why, len, "out of memory");
	if (err) {
		usdt_probes_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	elf_end(e);
	close(fd);
	return err;
}
