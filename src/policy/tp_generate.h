/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text helpers of `tetra tracingpolicy generate` (cli/tp_generate.c), kept
 * here so the unit tests reach them: reading SystemTap SDT argument specs
 * and deciding when a YAML string must be quoted.
 */
#ifndef TG_POLICY_TP_GENERATE_H
#define TG_POLICY_TP_GENERATE_H

#include <stdbool.h>
#include <stddef.h>

#define TP_GEN_USDT_MAX_ARGS 12	/* upstream's UsdtSpec holds 12 */

/*
 * The policy type of one stapsdt argument "SIZE@LOCATION" ("-4@%eax",
 * "8@-8(%rbp)"), as upstream's generator names it: uint8/16/32/64, int8...
 * for a negative size. NULL when the size is missing or not 1, 2, 4 or 8.
 */
const char *tp_gen_usdt_arg_type(const char *arg);

/*
 * Split a stapsdt argument string into its arguments (spaces inside
 * "[...]" do not split, as in arm64's "8@[x1, 8]"). Fills args[] with
 * malloc'ed strings and *n. Returns 0, -E2BIG past max arguments, -ENOMEM.
 */
int tp_gen_usdt_split(const char *s, char **args, size_t max, size_t *n);

/* A string a YAML 1.1 reader would take for a bool, null or number (or ""): quote it. */
bool tp_gen_yaml_ambiguous(const char *s);

#endif
