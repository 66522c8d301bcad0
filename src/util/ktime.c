// SPDX-License-Identifier: Apache-2.0
#include "util/ktime.h"

#include <time.h>

static int64_t mono_off, boot_off;
static int synced;

static uint64_t now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Bracket the wall-clock read to keep the error to one clock_gettime. */
static int64_t offset_of(clockid_t id)
{
	uint64_t a = now(id), w = now(CLOCK_REALTIME), b = now(id);

	return (int64_t)w - (int64_t)(a + (b - a) / 2);
}

void ktime_sync(void)
{
	mono_off = offset_of(CLOCK_MONOTONIC);
	boot_off = offset_of(CLOCK_BOOTTIME);
	synced = 1;
}

uint64_t ktime_mono_to_wall(uint64_t mono_ns)
{
	if (!synced)
		ktime_sync();
	return mono_ns + (uint64_t)mono_off;	/* wraps instead of overflowing on garbage */
}

uint64_t ktime_boot_to_wall(uint64_t boot_ns)
{
	if (!synced)
		ktime_sync();
	return boot_ns + (uint64_t)boot_off;
}

uint64_t ktime_now_mono(void)
{
	return now(CLOCK_MONOTONIC);
}

uint64_t ktime_now_wall(void)
{
	return now(CLOCK_REALTIME);
}
