/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run a function on the agent's event loop from another thread (the gRPC
 * server's) and wait for it: the modules the event loop owns (the policy
 * engine, the process cache) stay single-threaded.
 */
#ifndef TG_AGENT_LOOP_CALL_H
#define TG_AGENT_LOOP_CALL_H

#include <pthread.h>
#include <stdbool.h>

struct loop_call;

struct loop_calls {
	int efd;			/* readable when calls wait: the event loop polls it */
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct loop_call *head;
	bool closed;
};

int loop_calls_init(struct loop_calls *q);
/* Fail the waiting calls and every later one with -ECANCELED. */
void loop_calls_close(struct loop_calls *q);
void loop_calls_destroy(struct loop_calls *q);
/* From any thread but the event loop's: run fn(arg) there; its result, or -ECANCELED. */
int loop_calls_run(struct loop_calls *q, int (*fn)(void *arg), void *arg);
/* On the event loop, when efd is readable. */
void loop_calls_dispatch(struct loop_calls *q);

#endif
