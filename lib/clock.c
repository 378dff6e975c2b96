/* SPDX-License-Identifier: MIT */
/* clock.c - the monotonic clock behind every deadline. */
#include <time.h>

#include "internal.h"

int64_t sc_clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sc_clock_deadline_ns(unsigned int timeout_ms)
{
	return sc_clock_now_ns() + (int64_t)timeout_ms * 1000000;
}

int sc_clock_remaining_ms(int64_t deadline_ns)
{
	int64_t left = deadline_ns - sc_clock_now_ns();

	if (left <= 0)
		return 0;
	/* Round up: waiting a little past the deadline is better than a
	 * zero-length wait that spins. */
	return (int)((left + 999999) / 1000000);
}

int sc_clock_passed(int64_t deadline_ns)
{
	return sc_clock_now_ns() >= deadline_ns;
}
