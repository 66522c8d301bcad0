/* SPDX-License-Identifier: Apache-2.0 */
#ifndef TG_PROCESS_ARGS_H
#define TG_PROCESS_ARGS_H

#include <stddef.h>

/*
 * NUL-separated argv bytes -> Process.arguments: joined by spaces, an
 * argument containing a space wrapped in double quotes (upstream's form).
 * Returns a malloc'd string ("" for no arguments) or NULL on OOM.
 */
char *args_decode(const char *buf, size_t len);

/* Process.binary: @filename as exec'd, made absolute against @cwd. */
char *binary_absolute(const char *filename, size_t len, const char *cwd);

#endif
