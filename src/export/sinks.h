/* SPDX-License-Identifier: Apache-2.0 */
/* Event sinks of the pipeline that write lines: JSON to a rotating file or
 * a file descriptor, compact text to a terminal. */
#ifndef TG_EXPORT_SINKS_H
#define TG_EXPORT_SINKS_H

#include "encode/compact.h"
#include "event/pipeline.h"
#include "export/rotating_file.h"

/* JSON lines into a rotating file (--export-filename). Takes ownership of @f. */
struct event_sink *json_file_sink_new(struct rotating_file *f);
/* JSON lines to a file descriptor (stdout). */
struct event_sink *json_fd_sink_new(int fd);
/* Compact lines to a file descriptor. */
struct event_sink *compact_fd_sink_new(int fd, const struct compact_opts *o);

#endif
