// SPDX-License-Identifier: Apache-2.0
/* uprobe_target A B STRING [N [thread]]: calls tg_uprobe_target(A, B, STRING)
 * and tg_uprobe_req(&req) (a struct built from them: the btfPath/resolve
 * tests; a USDT probe tg:req gets &req too) N times (default 1), from a
 * second thread when "thread" is given;
 * the functions the uprobe tests probe.
 *
 * Built for BPF too (clang -target bpf -g, Makefile): only the types and
 * tg_uprobe_req, so the object's .BTF describes this program's structs, as
 * a BTF file made from its DWARF (pahole -J) would. */

/* what resolve: walks: a member, a pointer member, char arrays and a char * */
struct tg_inner {
	int code;
	char label[12];
};

struct tg_req {
	long id;
	const char *name;
	struct tg_inner *inner;
	char tag[16];
	unsigned short port;
};

#ifdef __bpf__
/* pointed-to structs are forward declarations in BTF unless defined somewhere */
struct tg_inner tg_btf_inner;
#endif

__attribute__((noinline, used)) int tg_uprobe_req(const struct tg_req *r)
{
#ifndef __bpf__
	__asm__ volatile("" : : "r"(r) : "memory");
#endif
	return r->inner->code + (int)r->id;
}

#ifndef __bpf__
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>

__attribute__((noinline, used)) int tg_uprobe_target(int a, long b, const char *s)
{
	/* keep the call and its arguments observable to the optimizer's eyes */
	__asm__ volatile("" : : "r"(a), "r"(b), "r"(s) : "memory");
	return a + (int)b;
}

static char **args;

static void *calls(void *sum)
{
	int n = args[4] ? atoi(args[4]) : 1;

	struct tg_inner in = { .code = (int)atol(args[2]) };
	struct tg_req r = { .id = atol(args[1]), .name = args[3], .inner = &in, .port = (unsigned short)atoi(args[1]) };

	snprintf(in.label, sizeof(in.label), "in-%s", args[1]);
	snprintf(r.tag, sizeof(r.tag), "tag-%s", args[3]);
	for (int i = 0; i < n; i++) {
		*(long *)sum += tg_uprobe_target(atoi(args[1]), atol(args[2]), args[3]);
		*(long *)sum += tg_uprobe_req(&r);
		/* the same struct through a USDT probe (test_usdt's btfPath case) */
		STAP_PROBE1(tg, req, &r);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long sum = 0;
	pthread_t t;

	if (argc < 4) {
		fprintf(stderr, "usage: uprobe_target A B STRING [N [thread]]\n");
		return 2;
	}
	args = argv;
	if (argc > 5 && !strcmp(argv[5], "thread")) {
		if (pthread_create(&t, NULL, calls, &sum) || pthread_join(t, NULL))
			return 3;
	} else {
		calls(&sum);
	}
	return sum == -12345 ? 1 : 0;
}
#endif
