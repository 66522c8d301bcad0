/* SPDX-License-Identifier: Apache-2.0 */
/* Syscall names -> numbers (x86_64 ABI). */
#ifndef TG_SENSORS_SYSCALL_TABLE_H
#define TG_SENSORS_SYSCALL_TABLE_H

/* "dup" -> 32; -1 when unknown. The name has no sys_ or __x64_sys_ prefix. */
int syscall_nr_x86_64(const char *name);

#define SYSCALL_NR_MAX 512	/* x86_64 numbers are below this */

/* 32 -> "dup"; NULL when the number is not in the table. */
const char *syscall_name_x86_64(int nr);

#endif
