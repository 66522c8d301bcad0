/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Symbols of the stack traces Post kernelStackTrace/userStackTrace record
 * (abi/msg_generic.h): kernel addresses through /proc/kallsyms (read once,
 * again when an address falls outside what it listed), user addresses
 * through the process' /proc/PID/maps and the ELF symbol tables of the
 * files mapped there (an LRU of STACK_SYMS_MODULES files). Results point
 * into a per-event arena, valid until the next stack_syms_begin().
 */
#ifndef TG_SENSORS_STACK_SYMS_H
#define TG_SENSORS_STACK_SYMS_H

#include <stdbool.h>
#include <stdint.h>

#define STACK_SYMS_MODULES	32	/* ELF files whose symbols are kept */
#define STACK_SYMS_MAX_SYMS	(1u << 20)	/* function symbols kept per file */
#define STACK_SYMS_MAX_MAPS	8192	/* lines of /proc/PID/maps read */

struct stack_syms;

struct stack_syms_stats {
	uint64_t kernel_unknown;	/* kernel addresses no symbol covers */
	uint64_t user_unmapped;		/* user addresses in no mapping (or maps unreadable) */
	uint64_t user_no_symbol;	/* mapped, but no function symbol covers them */
	uint64_t elf_loads;		/* symbol tables read */
	uint64_t elf_errors;		/* files that could not be read as ELF */
	uint64_t kallsyms_loads;
};

/* procfs: the procfs mount (NULL: /proc). NULL on ENOMEM. */
struct stack_syms *stack_syms_new(const char *procfs);
void stack_syms_free(struct stack_syms *s);

/* A new event of process pid: earlier results are invalid from here on. */
void stack_syms_begin(struct stack_syms *s, uint32_t pid);

/* Kernel address -> symbol and offset into it; false when none covers it. */
bool stack_syms_kernel(struct stack_syms *s, uint64_t addr, const char **sym, uint64_t *off);

/*
 * User address of the event's process -> the file mapped there, the offset
 * in that file (upstream's offset) and the function symbol covering it ("" when
 * the file has none, e.g. stripped). False when no file mapping holds addr.
 */
bool stack_syms_user(struct stack_syms *s, uint64_t addr, const char **module, uint64_t *off, const char **sym);

void stack_syms_get_stats(const struct stack_syms *s, struct stack_syms_stats *st);

#endif
