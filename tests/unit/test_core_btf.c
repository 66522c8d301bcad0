// SPDX-License-Identifier: Apache-2.0
/*
 * The CO-RE stand-in BTF (src/sensors/core_btf.c) relocates the generic
 * programs exactly as the kernel's full BTF does: loaded both ways, each
 * program has the same tag (a hash of its instructions). Needs root and
 * the kernel's BTF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "abi/msg_generic.h"
#include "generic_rawtp.skel.h"
#include "generic_tracepoint.skel.h"
#include "sensors/core_btf.h"

static bool can_load(void)
{
	return geteuid() == 0 && access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

/* The tags of obj's loaded programs, in order; their count. */
static size_t tags(struct bpf_object *obj, uint8_t tag[][BPF_TAG_SIZE], size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (!bpf_program__autoload(prog) || n == max)
			continue;
		assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len), 0);
		memcpy(tag[n++], info.tag, BPF_TAG_SIZE);
	}
	return n;
}

#define SAME_TAGS(name)                                                                            \
	do {                                                                                       \
		struct name##_bpf *full = name##_bpf__open(), *small = CORE_BTF_OPEN(name);           \
		uint8_t a[8][BPF_TAG_SIZE], b[8][BPF_TAG_SIZE];                                     \
		size_t na, nb;                                                                       \
                                                                                                   \
		assert_non_null(full);                                                               \
		assert_non_null(small);                                                              \
		assert_int_equal(name##_bpf__load(full), 0);                                         \
		assert_int_equal(name##_bpf__load(small), 0);                                        \
		na = tags(full->obj, a, 8);                                                          \
		nb = tags(small->obj, b, 8);                                                         \
		assert_true(na > 0);                                                                 \
		assert_int_equal(na, nb);                                                            \
		assert_memory_equal(a, b, na * BPF_TAG_SIZE);                                        \
		name##_bpf__destroy(full);                                                           \
		name##_bpf__destroy(small);                                                          \
	} while (0)

static void test_same_programs(void **state)
{
	(void)state;
	if (!can_load()) {
		skip();
		return;
	}
	SAME_TAGS(generic_tracepoint);
	SAME_TAGS(generic_rawtp);
}

static void test_small_and_cached(void **state)
{
	size_t sz;
	const void *elf = generic_tracepoint_bpf__elf_bytes(&sz);
	const char *p;
	struct btf *small, *full;

	(void)state;
	if (!can_load()) {
		skip();
		return;
	}
	p = core_btf_path("generic_tracepoint", elf, sz);
	assert_non_null(p);
	/* built once: the same file again */
	assert_ptr_equal(core_btf_path("generic_tracepoint", elf, sz), p);
	small = btf__parse(p, NULL);
	full = btf__load_vmlinux_btf();
	assert_false(libbpf_get_error(small));
	assert_false(libbpf_get_error(full));
	/* the point of it: a small part of the kernel's types to parse per object */
	assert_true(btf__type_cnt(small) * 5 < btf__type_cnt(full));
	assert_true(btf__find_by_name_kind(small, "task_struct", BTF_KIND_STRUCT) > 0);
	btf__free(small);
	btf__free(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_programs),
		cmocka_unit_test(test_small_and_cached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
