/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The actions the agent performs rather than the kernel: GetUrl (an HTTP
 * GET of argUrl) and DnsLookup (a lookup of argFqdn), fired and forgotten
 * as upstream's, when a selector with one of them matches. They run on
 * AGENT_ACTIONS_WORKERS worker threads fed by a queue of at most
 * AGENT_ACTIONS_QUEUE requests: the event loop only enqueues (never
 * blocks); a request the full queue cannot take is dropped and counted.
 * Every request ends as ok, error, timeout or dropped (counted by action).
 */
#ifndef TG_SENSORS_AGENT_ACTIONS_H
#define TG_SENSORS_AGENT_ACTIONS_H

#include <stdint.h>

#define AGENT_ACTIONS_WORKERS	4	/* requests in flight at most */
#define AGENT_ACTIONS_QUEUE	128	/* requests waiting at most */
#define AGENT_ACTIONS_URL_MAX	2048
#define AGENT_GETURL_TIMEOUT_MS	5000	/* whole request, redirects included */
#define AGENT_GETURL_CONNECT_MS	2000
#define AGENT_GETURL_REDIRECTS	5

enum agent_action { AGENT_ACTION_GETURL, AGENT_ACTION_DNSLOOKUP, AGENT_ACTION__COUNT };
enum agent_result { AGENT_RESULT_OK, AGENT_RESULT_ERROR, AGENT_RESULT_TIMEOUT, AGENT_RESULT_DROPPED,
		    AGENT_RESULT__COUNT };

struct agent_actions;

struct agent_actions_stats {
	uint64_t results[AGENT_ACTION__COUNT][AGENT_RESULT__COUNT];
	uint64_t queued;	/* waiting now */
	uint64_t running;	/* in flight now */
};

/* Starts the workers; NULL with errno set. */
struct agent_actions *agent_actions_new(void);
/* Stops the workers (a request in flight is aborted, or ends by its timeout); NULL is fine. */
void agent_actions_free(struct agent_actions *a);
/* Queue one request (arg: the URL or the name); 0, or -EAGAIN (queue full: counted dropped), -EINVAL. */
int agent_actions_submit(struct agent_actions *a, enum agent_action act, const char *arg);
void agent_actions_get_stats(struct agent_actions *a, struct agent_actions_stats *st);
const char *agent_action_name(enum agent_action act);
const char *agent_result_name(enum agent_result r);

#endif
