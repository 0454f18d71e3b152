/* Capture time: nanoseconds since the Unix epoch. All timers (dialog and
 * transaction timeouts, route expiry, stats) run on it, never on the wall clock,
 * so offline results do not depend on how fast a file is read. */
#ifndef SIPSLEUTH_SLTIME_H
#define SIPSLEUTH_SLTIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t sl_time;

#define SL_NS_PER_US INT64_C(1000)
#define SL_NS_PER_MS INT64_C(1000000)
#define SL_NS_PER_SEC INT64_C(1000000000)

/* RFC 3339 UTC with microseconds, e.g. "2026-03-01T10:00:00.123456Z".
 * Returns the length written (27); buf needs SL_TIME_TEXT_LEN bytes. */
#define SL_TIME_TEXT_LEN 32
size_t sl_time_format(sl_time t, char buf[SL_TIME_TEXT_LEN]);

/* Milliseconds between two times, as a double with microsecond precision. */
static inline double sl_time_ms(sl_time from, sl_time to)
{
    const int64_t us = (to - from) / SL_NS_PER_US; /* whole microseconds */
    return (double)us / 1000.0;
}

#endif
