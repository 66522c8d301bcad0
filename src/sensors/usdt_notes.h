/* SPDX-License-Identifier: Apache-2.0 */
/*
 * USDT probes of an ELF file: its .note.stapsdt notes (SystemTap SDT v3),
 * and the argument specs they carry, decoded into the USDT program's ABI
 * (abi/usdt_arg.h). x86_64 only.
 */
#ifndef TG_SENSORS_USDT_NOTES_H
#define TG_SENSORS_USDT_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "abi/usdt_arg.h"

#define USDT_MAX_NOTE_ARGS 12	/* sys/sdt.h's STAP_PROBE12 */

struct usdt_probe {
	char *provider, *name, *args;	/* args: the note's spec string, as written */
	uint64_t pc;			/* the probe's address, prelink base adjustment applied */
	uint64_t pc_off;		/* ... as a file offset (where the uprobe goes) */
	uint64_t sema;			/* the semaphore's address, 0 = none */
	uint64_t sema_off;		/* ... as a file offset (uprobe ref_ctr_offset) */
};

/*
 * Every probe of path named provider:name (several where the compiler
 * duplicated the call site), or every probe of the file when provider is
 * NULL, into *out (caller frees with usdt_probes_free).
 * 0 with *n == 0: the file has no such probe. Negative errno with why set:
 * the file cannot be read or has malformed notes.
 */
int usdt_find(const char *path, const char *provider, const char *name, struct usdt_probe **out, size_t *n,
	      char *why, size_t len);
void usdt_probes_free(struct usdt_probe *v, size_t n);

/*
 * Argument number idx (0-based) of the spec string into *spec. -ENOENT: the
 * probe has fewer arguments; -EINVAL: the operand is not one this agent
 * decodes (why says which and why).
 */
int usdt_arg_parse(const char *args, unsigned idx, struct usdt_arg_spec *spec, char *why, size_t len);
/* The number of arguments of a spec string. */
unsigned usdt_arg_count(const char *args);

#endif
