// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one clock of every wait and retry: CLOCK_MONOTONIC, in nanoseconds.
 * What waits takes a struct mo_clock, so a test can pass a fake one that
 * advances only when slept on.
 */
#include <errno.h>
#include <time.h>

#include "internal.h"

#define NSEC 1000000000ull

static uint64_t monotonic_now(void *data)
{
	struct timespec ts;

	(void)data;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static void monotonic_sleep(void *data, uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / NSEC, .tv_nsec = ns % NSEC };

	(void)data;
	/* A signal handled meanwhile (SIGALRM, SIGCHLD) does not cut the wait short. */
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

const struct mo_clock mo_clock_monotonic = {
	.now = monotonic_now,
	.sleep = monotonic_sleep,
};
