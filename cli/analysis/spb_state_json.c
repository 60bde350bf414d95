/* The STATE payload of a Sparkplug 3.0 host application (spb_state_priv.h):
 * one JSON object (RFC 8259 syntax, checked strictly, nesting at most 16
 * deep) whose members "online" and "timestamp" are picked out. */
#include "analysis/spb_state_priv.h"

#include <string.h>

struct jscan {
    const uint8_t *p, *end;
};

static void j_ws(struct jscan *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool j_lit(struct jscan *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return false;
    j->p += n;
    return true;
}

/* A string; *s, *n its raw bytes between the quotes. */
static bool j_string(struct jscan *j, const uint8_t **s, size_t *n)
{
    if (j->p >= j->end || *j->p != '"')
        return false;
    const uint8_t *start = ++j->p;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p < 0x20)
            return false;
        if (*j->p == '\\' && ++j->p >= j->end)
            return false;
        j->p++;
    }
    if (j->p >= j->end)
        return false;
    *s = start;
    *n = (size_t)(j->p - start);
    j->p++;
    return true;
}

static bool j_number(struct jscan *j)
{
    const uint8_t *start = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    const uint8_t *digits = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    if (j->p == digits)
        return false;
    if (j->p < j->end && *j->p == '.') {
        const uint8_t *f = ++j->p;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
        if (j->p == f)
            return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        const uint8_t *e = j->p;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
        if (j->p == e)
            return false;
    }
    return j->p > start;
}

enum jkind { J_BAD, J_TRUE, J_FALSE, J_NUMBER, J_OTHER };

static enum jkind j_value(struct jscan *j, int depth);

static bool j_container(struct jscan *j, int depth, bool object)
{
    j->p++;
    j_ws(j);
    if (j->p < j->end && *j->p == (object ? '}' : ']')) {
        j->p++;
        return true;
    }
    for (;;) {
        if (object) {
            const uint8_t *k;
            size_t kn;
            if (!j_string(j, &k, &kn))
                return false;
            j_ws(j);
            if (j->p >= j->end || *j->p++ != ':')
                return false;
        }
        if (j_value(j, depth + 1) == J_BAD)
            return false;
        j_ws(j);
        if (j->p >= j->end)
            return false;
        uint8_t c = *j->p++;
        if (c == (object ? '}' : ']'))
            return true;
        if (c != ',')
            return false;
        j_ws(j);
    }
}

static enum jkind j_value(struct jscan *j, int depth)
{
    j_ws(j);
    if (j->p >= j->end || depth > 16)
        return J_BAD;
    const uint8_t *s;
    size_t n;
    switch (*j->p) {
    case '{': return j_container(j, depth, true) ? J_OTHER : J_BAD;
    case '[': return j_container(j, depth, false) ? J_OTHER : J_BAD;
    case '"': return j_string(j, &s, &n) ? J_OTHER : J_BAD;
    case 't': return j_lit(j, "true") ? J_TRUE : J_BAD;
    case 'f': return j_lit(j, "false") ? J_FALSE : J_BAD;
    case 'n': return j_lit(j, "null") ? J_OTHER : J_BAD;
    default: return j_number(j) ? J_NUMBER : J_BAD;
    }
}

bool spb_state_payload(const uint8_t *p, size_t len, int *online, bool *timestamp)
{
    *online = -1;
    *timestamp = false;
    if (len == 0)
        return false; /* an empty payload (p may be NULL: no pointer arithmetic) */
    struct jscan j = {p, p + len};
    j_ws(&j);
    if (j.p >= j.end || *j.p != '{')
        return false;
    j.p++;
    j_ws(&j);
    if (j.p < j.end && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            const uint8_t *k;
            size_t kn;
            if (!j_string(&j, &k, &kn))
                return false;
            j_ws(&j);
            if (j.p >= j.end || *j.p++ != ':')
                return false;
            enum jkind v = j_value(&j, 1);
            if (v == J_BAD)
                return false;
            if (kn == 6 && memcmp(k, "online", 6) == 0)
                *online = v == J_TRUE ? 1 : v == J_FALSE ? 0 : -1;
            else if (kn == 9 && memcmp(k, "timestamp", 9) == 0)
                *timestamp = v == J_NUMBER;
            j_ws(&j);
            if (j.p >= j.end)
                return false;
            uint8_t c = *j.p++;
            if (c == '}')
                break;
            if (c != ',')
                return false;
            j_ws(&j);
        }
    }
    j_ws(&j);
    return j.p == j.end;
}

