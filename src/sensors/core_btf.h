/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small stand-in for the kernel's BTF for CO-RE relocation of one BPF
 * object (core_btf.c). libbpf 1.1 parses all of /sys/kernel/btf/vmlinux
 * (5+ MB, 100k+ types) again for every object it loads; handed this one
 * through bpf_object_open_opts.btf_custom_path it parses a few thousand
 * types instead, with the same relocations.
 */
#ifndef TG_SENSORS_CORE_BTF_H
#define TG_SENSORS_CORE_BTF_H

#include <stddef.h>

#include <bpf/libbpf.h>

/*
 * The path of a BTF holding every kernel type whose name the object (ELF
 * image elf, sz bytes; key names it and caches the result) uses, and every
 * type those reach: a relocation sees the same candidates and layouts as
 * in the full BTF. NULL (libbpf reads the kernel's BTF itself) when it
 * cannot be built, or when a name only a module's BTF could resolve is
 * used. Built once per key.
 */
const char *core_btf_path(const char *key, const void *elf, size_t sz);

/* name_bpf__open() of a skeleton, relocated against its stand-in. */
#define CORE_BTF_OPEN(name)                                                                          \
	({                                                                                           \
		size_t sz_;                                                                          \
		const void *elf_ = name##_bpf__elf_bytes(&sz_);                                     \
		LIBBPF_OPTS(bpf_object_open_opts, o_, .btf_custom_path = core_btf_path(#name, elf_, sz_)); \
		name##_bpf__open_opts(&o_);                                                          \
	})

#endif
