/* Timestamps (microseconds since the epoch, UTC) as text, written into
 * caller-supplied arrays without stdio. */
#ifndef MQD_CLI_TIMEFMT_H
#define MQD_CLI_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Splits a timestamp in microseconds since the epoch (UTC) into civil parts.
 * Works for times before 1970 too (floor division). */
struct civil_time {
    int64_t year;
    unsigned month, day, hour, min, sec, usec;
};
void civil_from_us(int64_t ts_us, struct civil_time *out);

/* Packets come in time order, so most timestamps fall in the same second as
 * the one before: a formatter may keep the text of the last second it wrote
 * (everything before ".uuuuuu") and format only the microseconds anew. The
 * memo belongs to its writer (a printer), one per format; zeroed: empty. */
struct timefmt_memo {
    bool valid;
    int64_t secs;
    size_t len;
    char text[48]; /* a 20-digit year and "-MM-DDTHH:MM:SS" fit */
};

/* "2026-11-24T19:44:45.123456Z" (RFC 3339, UTC, microseconds) into out; at
 * least 32 bytes; returns the count (27 for years 0000..9999). No NUL.
 * `memo` may be NULL. */
size_t fmt_rfc3339(char *out, int64_t ts_us, struct timefmt_memo *memo);

/* "19:44:45.123456" (UTC) into out (at least 15 bytes); returns 15. `memo`
 * may be NULL. */
size_t fmt_clock(char *out, int64_t ts_us, struct timefmt_memo *memo);

/* "1764014863.433242", "0.000046", "-0.000010": a signed count of
 * microseconds as seconds with six decimals (the epoch time of a
 * timestamp, or the time between two) into out (at least 28 bytes);
 * returns the count. */
size_t fmt_seconds(char *out, int64_t us);

#endif
