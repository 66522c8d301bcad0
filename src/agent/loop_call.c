// SPDX-License-Identifier: Apache-2.0
#include "agent/loop_call.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct loop_call {
	int (*fn)(void *arg);
	void *arg;
	int result;
	bool finished;
	struct loop_call *next;
};

int loop_calls_init(struct loop_calls *q)
{
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0)
		return -errno;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->done, NULL);
	q->head = NULL;
	q->closed = false;
	return 0;
}

void loop_calls_close(struct loop_calls *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	for (struct loop_call *c = q->head; c; c = c->next) {
		c->result = -ECANCELED;
		c->finished = true;
	}
	q->head = NULL;
	pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->lock);
}

void loop_calls_destroy(struct loop_calls *q)
{
	if (q->efd < 0)
		return;
	close(q->efd);
	q->efd = -1;
	pthread_cond_destroy(&q->done);
	pthread_mutex_destroy(&q->lock);
}

int loop_calls_run(struct loop_calls *q, int (*fn)(void *arg), void *arg)
{
	struct loop_call c = { .fn = fn, .arg = arg };
	struct loop_call **tail;
	uint64_t one = 1;

	pthread_mutex_lock(&q->lock);
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		return -ECANCELED;
	}
	for (tail = &q->head; *tail; tail = &(*tail)->next)
		;
	*tail = &c;
	if (write(q->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; the loop still sees the queue */
	}
	while (!c.finished)
		pthread_cond_wait(&q->done, &q->lock);
	pthread_mutex_unlock(&q->lock);
	return c.result;
}

void loop_calls_dispatch(struct loop_calls *q)
{
	uint64_t n;

	if (read(q->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	for (;;) {
		struct loop_call *c;

		pthread_mutex_lock(&q->lock);
		c = q->head;
		if (c)
			q->head = c->next;
		pthread_mutex_unlock(&q->lock);
		if (!c)
			return;
		/* the caller waits on c: it stays valid until finished is set */
		c->result = c->fn(c->arg);
		pthread_mutex_lock(&q->lock);
		c->finished = true;
		pthread_cond_broadcast(&q->done);
		pthread_mutex_unlock(&q->lock);
	}
}
