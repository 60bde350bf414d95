/* Topic filter matching (MQTT 5.0 s4.7; MQTT 3.1.1 s4.7 is the same). */
#include "util/topic_match.h"

#include <string.h>

/* Walks a topic or filter one level at a time. Levels are separated by '/';
 * "" has one empty level, "a/" has "a" and "". */
struct levels {
    const uint8_t *s;
    size_t n, pos;
    bool done;
};

static void levels_init(struct levels *l, const uint8_t *s, size_t n)
{
    l->s = s;
    l->n = n;
    l->pos = 0;
    l->done = false;
}

static bool levels_next(struct levels *l, const uint8_t **lvl, size_t *len)
{
    if (l->done)
        return false;
    size_t start = l->pos, i = start;
    while (i < l->n && l->s[i] != '/')
        i++;
    *lvl = l->s + start;
    *len = i - start;
    if (i < l->n)
        l->pos = i + 1; /* past the separator: a level follows, maybe empty */
    else
        l->done = true;
    return true;
}

static bool is_level(const uint8_t *lvl, size_t len, char c)
{
    return len == 1 && lvl[0] == (uint8_t)c;
}

static bool starts_with_wildcard(const uint8_t *s, size_t n)
{
    return n > 0 && (s[0] == '+' || s[0] == '#');
}

static bool starts_with_dollar(const uint8_t *s, size_t n)
{
    return n > 0 && s[0] == '$';
}

bool topic_filter_match(const uint8_t *f, size_t fn, const uint8_t *t,
                        size_t tn)
{
    /* s4.7.2: "$SYS/..." is not matched by filters starting with a wildcard. */
    if (starts_with_dollar(t, tn) && starts_with_wildcard(f, fn))
        return false;
    struct levels fl, tl;
    levels_init(&fl, f, fn);
    levels_init(&tl, t, tn);
    for (;;) {
        const uint8_t *fs = NULL, *ts = NULL;
        size_t flen = 0, tlen = 0;
        bool has_f = levels_next(&fl, &fs, &flen);
        bool has_t = levels_next(&tl, &ts, &tlen);
        if (!has_f)
            return !has_t;
        if (is_level(fs, flen, '#'))
            return true; /* this level and all below, or the parent alone */
        if (!has_t)
            return false;
        if (is_level(fs, flen, '+'))
            continue;
        if (flen != tlen || memcmp(fs, ts, flen) != 0)
            return false;
    }
}

bool topic_filter_overlap(const uint8_t *a, size_t an, const uint8_t *b,
                          size_t bn)
{
    if ((starts_with_dollar(a, an) && starts_with_wildcard(b, bn)) ||
        (starts_with_dollar(b, bn) && starts_with_wildcard(a, an)))
        return false;
    struct levels al, bl;
    levels_init(&al, a, an);
    levels_init(&bl, b, bn);
    for (;;) {
        const uint8_t *as = NULL, *bs = NULL;
        size_t alen = 0, blen = 0;
        bool has_a = levels_next(&al, &as, &alen);
        bool has_b = levels_next(&bl, &bs, &blen);
        if (!has_a && !has_b)
            return true;
        if ((has_a && is_level(as, alen, '#')) || (has_b && is_level(bs, blen, '#')))
            return true;
        if (!has_a || !has_b)
            return false;
        if (is_level(as, alen, '+') || is_level(bs, blen, '+'))
            continue;
        if (alen != blen || memcmp(as, bs, alen) != 0)
            return false;
    }
}

void topic_filter_unshare(const uint8_t **s, size_t *n)
{
    static const char prefix[] = "$share/";
    size_t plen = sizeof prefix - 1;
    if (*n <= plen || memcmp(*s, prefix, plen) != 0)
        return;
    for (size_t i = plen; i < *n; i++) {
        if ((*s)[i] == '/') {
            *s += i + 1;
            *n -= i + 1;
            return;
        }
    }
}
