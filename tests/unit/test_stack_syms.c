// SPDX-License-Identifier: Apache-2.0
/* Stack trace symbols: this process' own functions, libc's, kallsyms, and hostile files mapped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "sensors/stack_syms.h"

__attribute__((noinline)) int tg_stack_syms_probe(int x)
{
	return x * 3 + 1;
}

static void test_own_function(void **state)
{
	struct stack_syms *s = stack_syms_new(NULL);
	char exe[PATH_MAX];
	const char *mod, *sym;
	uint64_t off;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)state;
	assert_non_null(s);
	assert_true(n > 0);
	exe[n] = 0;
	stack_syms_begin(s, (uint32_t)getpid());
	/* a return address inside the function */
	assert_true(stack_syms_user(s, (uint64_t)(uintptr_t)&tg_stack_syms_probe + 2, &mod, &off, &sym));
	assert_string_equal(mod, exe);
	assert_string_equal(sym, "tg_stack_syms_probe");
	/* libc's getpid, by whichever of its aliases */
	assert_true(stack_syms_user(s, (uint64_t)(uintptr_t)&getpid, &mod, &off, &sym));
	assert_non_null(strstr(mod, "libc.so"));
	assert_true(strstr(sym, "getpid") != NULL);
	/* nothing mapped there */
	assert_false(stack_syms_user(s, 0x10, &mod, &off, &sym));
	stack_syms_free(s);
}

static void test_hostile_files(void **state)
{
	struct stack_syms *s = stack_syms_new(NULL);
	struct stack_syms_stats st;
	char path[] = "/tmp/tg-stack-syms-XXXXXX", exe_part[] = "/tmp/tg-stack-syms-elf-XXXXXX";
	unsigned char junk[8192];
	const char *mod, *sym;
	uint64_t off;
	void *m1, *m2;
	int fd = mkstemp(path), fd2 = mkstemp(exe_part), self;
	ssize_t n;

	(void)state;
	assert_true(fd >= 0 && fd2 >= 0);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	/* an ELF cut short: its header promises sections that are not there */
	self = open("/proc/self/exe", O_RDONLY);
	n = read(self, junk, 4096);
	close(self);
	assert_true(n == 4096);
	assert_int_equal(write(fd2, junk, 4096), 4096);
	m1 = mmap(NULL, sizeof(junk), PROT_READ, MAP_PRIVATE, fd, 0);
	m2 = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd2, 0);
	assert_true(m1 != MAP_FAILED && m2 != MAP_FAILED);
	stack_syms_begin(s, (uint32_t)getpid());
	assert_true(stack_syms_user(s, (uint64_t)(uintptr_t)m1 + 4100, &mod, &off, &sym));
	assert_string_equal(mod, path);
	assert_int_equal(off, 4100);
	assert_string_equal(sym, "");
	assert_true(stack_syms_user(s, (uint64_t)(uintptr_t)m2 + 100, &mod, &off, &sym));
	assert_string_equal(mod, exe_part);
	assert_string_equal(sym, "");
	stack_syms_get_stats(s, &st);
	assert_int_equal(st.elf_loads, 2);
	assert_int_equal(st.user_no_symbol, 2);
	munmap(m1, sizeof(junk));
	munmap(m2, 4096);
	close(fd);
	close(fd2);
	unlink(path);
	unlink(exe_part);
	stack_syms_free(s);
}

static void test_kernel(void **state)
{
	struct stack_syms *s;
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long addr = 0;
	char line[512], name[256], t;
	const char *sym;
	uint64_t off;

	(void)state;
	if (!f)
		skip();
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &t, name) == 3 && !strcmp(name, "do_syscall_64"))
			break;
	fclose(f);
	if (!addr || strcmp(name, "do_syscall_64"))
		skip();		/* not root, or kptr_restrict */
	s = stack_syms_new(NULL);
	assert_true(stack_syms_kernel(s, addr + 5, &sym, &off));
	/* do_syscall_64 or an alias at its address */
	assert_int_equal(off, 5);
	assert_false(stack_syms_kernel(s, 0x1000, &sym, &off));
	stack_syms_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_function),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
