/* Timestamps as RFC 3339 and as a clock, without stdio; each formatter
 * remembers the text of the last second it wrote. */
#include "util/timefmt.h"

#include <stdbool.h>
#include <string.h>

#include "util/numfmt.h"

/* Days since 1970-01-01 to a proleptic Gregorian date (the well-known
 * era-based algorithm, H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms"). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void civil_from_us(int64_t ts_us, struct civil_time *out)
{
    int64_t secs = ts_us / 1000000;
    int64_t usec = ts_us % 1000000;
    if (usec < 0) {
        usec += 1000000;
        secs -= 1;
    }
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (unsigned)(sod / 3600);
    out->min = (unsigned)(sod / 60 % 60);
    out->sec = (unsigned)(sod % 60);
    out->usec = (unsigned)usec;
}

/* v as exactly `width` decimal digits (zero padded, high digits dropped). */
static void fmt_fixed(char *out, uint64_t v, size_t width)
{
    for (size_t i = width; i > 0; i--) {
        out[i - 1] = (char)('0' + v % 10);
        v /= 10;
    }
}

static size_t fmt_clock_parts(char *out, const struct civil_time *t)
{
    fmt_fixed(out, t->hour, 2);
    out[2] = ':';
    fmt_fixed(out + 3, t->min, 2);
    out[5] = ':';
    fmt_fixed(out + 6, t->sec, 2);
    out[8] = '.';
    fmt_fixed(out + 9, t->usec, 6);
    return 15;
}

static size_t fmt_rfc3339_full(char *out, int64_t ts_us)
{
    struct civil_time t;
    civil_from_us(ts_us, &t);
    size_t n = 0;
    /* RFC 3339 s5.6 has four-digit years only; years outside 0..9999 are
     * printed with all their digits (never valid RFC 3339, but honest). */
    if (t.year >= 0 && t.year <= 9999) {
        fmt_fixed(out, (uint64_t)t.year, 4);
        n = 4;
    } else {
        n = fmt_i64(out, t.year);
    }
    out[n++] = '-';
    fmt_fixed(out + n, t.month, 2);
    n += 2;
    out[n++] = '-';
    fmt_fixed(out + n, t.day, 2);
    n += 2;
    out[n++] = 'T';
    n += fmt_clock_parts(out + n, &t);
    out[n++] = 'Z';
    return n;
}

static size_t fmt_clock_full(char *out, int64_t ts_us)
{
    struct civil_time t;
    civil_from_us(ts_us, &t);
    return fmt_clock_parts(out, &t);
}

static int64_t whole_seconds(int64_t ts_us)
{
    int64_t secs = ts_us / 1000000;
    return ts_us % 1000000 < 0 ? secs - 1 : secs;
}

static unsigned micros_of(int64_t ts_us)
{
    int64_t usec = ts_us % 1000000;
    return (unsigned)(usec < 0 ? usec + 1000000 : usec);
}

/* ".uuuuuu" for the microseconds usec (< 1000000). */
static void fmt_micros(char *out, unsigned usec)
{
    out[0] = '.';
    fmt_2digits(out + 1, usec / 10000);
    fmt_2digits(out + 3, usec / 100 % 100);
    fmt_2digits(out + 5, usec % 100);
}

/* Writes ts_us as full(ts_us) would, whose text ends with ".uuuuuu" and then
 * `tail` more bytes; reuses c's text when the second is the same. */
static size_t fmt_with_cache(char *out, int64_t ts_us, struct timefmt_memo *c,
                             size_t (*full)(char *, int64_t), size_t tail)
{
    int64_t secs = whole_seconds(ts_us);
    if (!c->valid || c->secs != secs) {
        char buf[sizeof c->text + 16];
        size_t n = full(buf, ts_us);
        c->len = n - 7 - tail;
        memcpy(c->text, buf, c->len);
        c->secs = secs;
        c->valid = true;
    }
    memcpy(out, c->text, c->len);
    fmt_micros(out + c->len, micros_of(ts_us));
    return c->len + 7;
}

size_t fmt_rfc3339(char *out, int64_t ts_us, struct timefmt_memo *memo)
{
    struct timefmt_memo none = {0};
    size_t n = fmt_with_cache(out, ts_us, memo ? memo : &none, fmt_rfc3339_full, 1);
    out[n] = 'Z';
    return n + 1;
}

size_t fmt_clock(char *out, int64_t ts_us, struct timefmt_memo *memo)
{
    struct timefmt_memo none = {0};
    return fmt_with_cache(out, ts_us, memo ? memo : &none, fmt_clock_full, 0);
}

size_t fmt_seconds(char *out, int64_t us)
{
    size_t n = 0;
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    if (us < 0)
        out[n++] = '-';
    n += fmt_u64(out + n, mag / 1000000);
    fmt_micros(out + n, (unsigned)(mag % 1000000));
    return n + 7;
}
