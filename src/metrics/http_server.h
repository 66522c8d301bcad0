/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The --metrics-server endpoint: GET /metrics answers the last published
 * page (libmicrohttpd, on its own thread). The agent's event loop renders
 * and publishes; a scrape never waits on it.
 */
#ifndef TG_METRICS_HTTP_SERVER_H
#define TG_METRICS_HTTP_SERVER_H

#include <stddef.h>

struct metrics_server;

/* addr: ":2112", "localhost:2112", "0.0.0.0:2112", "[::1]:2112". 0 or -errno with err set. */
int metrics_server_start(struct metrics_server **out, const char *addr, char *err, size_t errlen);
/*
 * Replace the page (copied). Never blocks: while a scrape is copying the
 * page out, this one is dropped and the next call replaces the old one.
 * Until the first page, /metrics answers 503.
 */
void metrics_server_publish(struct metrics_server *s, const char *text, size_t len);
/* Scrapes so far (for tests and logs). */
unsigned long metrics_server_scrapes(struct metrics_server *s);
void metrics_server_stop(struct metrics_server *s);

#endif
