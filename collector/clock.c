/* clock.c - wall-clock time for Redis records and published events.
 *
 * Why it exists: the event loop measures deadlines on the monotonic clock
 * (pk_now_ms in common/log.c), but first/last-seen times and sighting times
 * are wall-clock facts an analyst reads; they are formatted in one place.
 */
#include "collector.h"

#include <stdio.h>
#include <time.h>

int64_t pk_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pk_wall_iso(int64_t ms, char *buf, size_t len) {
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03d+0000", day, (int)(ms % 1000));
}
