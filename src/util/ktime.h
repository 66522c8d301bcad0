/* SPDX-License-Identifier: Apache-2.0 */
/* Kernel clocks (bpf_ktime_get_ns = CLOCK_MONOTONIC, /proc starttime = boot
 * time) to wall-clock nanoseconds. */
#ifndef TG_UTIL_KTIME_H
#define TG_UTIL_KTIME_H

#include <stdint.h>

/* (Re)sample the offsets; call at start and now and then to follow clock steps. */
void ktime_sync(void);
uint64_t ktime_mono_to_wall(uint64_t mono_ns);
uint64_t ktime_boot_to_wall(uint64_t boot_ns);
uint64_t ktime_now_mono(void);
uint64_t ktime_now_wall(void);

#endif
