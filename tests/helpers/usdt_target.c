// SPDX-License-Identifier: Apache-2.0
/*
 * usdt_target A B STRING [N]: fires the USDT probes the usdts: tests attach
 * to, N times (default 1), each with its arguments in a chosen kind of
 * operand (the note's argument spec says which):
 *   tg:regs     A (int), B (long), STRING (char *): in registers  (-4@%eax 8@%rdx ...)
 *   tg:mem      A, B, -B (short): in memory, base register + offset  (-4@8(%rsp) ...)
 *   tg:consts   5, -9, 300000000000: constants  (-4@$5 -4@$-9 8@$300000000000)
 *   tg:indexed  table[A & 3] where table[k] = B + k: base + index * 8
 *   tg:guarded  A: only when its semaphore says a tracer is attached;
 *               prints "guarded: on|off" each time
 *   tg:counted  no arguments (a plain uprobe with refCtrOffsets tests it)
 *   tg:set      R (a volatile int, 0), A: in memory; prints "set: R" after
 *               it (the USDT Set action writes R)
 * and prints the semaphores' counts ("semaphores: guarded=1 counted=0").
 */
#include <stdio.h>
#include <stdlib.h>

/*
 * Semaphores (sys/sdt.h names them PROVIDER_NAME_semaphore): every probe
 * has one once _SDT_HAS_SEMAPHORES is set; only tg:guarded tests its own.
 */
#define _SDT_HAS_SEMAPHORES 1
#define SEMA(n) __extension__ unsigned short tg_##n##_semaphore __attribute__((unused, section(".probes")))
SEMA(regs);
SEMA(mem);
SEMA(indexed);
SEMA(consts);
SEMA(guarded);
SEMA(counted);
SEMA(set);

#include <sys/sdt.h>

/* tg:set on its own, so fire()'s operands stay where the other tests expect them */
__attribute__((noinline)) static void fire_set(int a)
{
	volatile int ret = 0, key = a;

#undef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT m
	STAP_PROBE2(tg, set, ret, key);
	printf("set: %d\n", ret);
}

__attribute__((noinline)) static void fire(int a, long b, const char *s)
{
	volatile int ma = a;
	volatile long mb = b;
	volatile short ms = (short)-b;
	volatile long table[4];

	for (int k = 0; k < 4; k++)
		table[k] = b + k;
	/* operand constraints per probe: each probe tests one kind of spec */
#undef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT r
	STAP_PROBE3(tg, regs, a, b, s);
#undef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT m
	STAP_PROBE3(tg, mem, ma, mb, ms);
	STAP_PROBE1(tg, indexed, table[a & 3]);
#undef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT n
	STAP_PROBE3(tg, consts, 5, -9, 300000000000L);
#undef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT nor
	if (tg_guarded_semaphore) {
		STAP_PROBE1(tg, guarded, a);
		printf("guarded: on\n");
	} else {
		printf("guarded: off\n");
	}
	STAP_PROBE(tg, counted);
	fire_set(a);
}

int main(int argc, char **argv)
{
	int n;

	if (argc < 4) {
		fprintf(stderr, "usage: usdt_target A B STRING [N]\n");
		return 2;
	}
	n = argc > 4 ? atoi(argv[4]) : 1;
	for (int i = 0; i < n; i++)
		fire(atoi(argv[1]), atol(argv[2]), argv[3]);
	printf("semaphores: regs=%u mem=%u indexed=%u consts=%u guarded=%u counted=%u\n", tg_regs_semaphore,
	       tg_mem_semaphore, tg_indexed_semaphore, tg_consts_semaphore, tg_guarded_semaphore, tg_counted_semaphore);
	fflush(stdout);
	return 0;
}
