/* Shared helpers of the tests/test_parse_*.c programs (header only: each
 * test program includes it once).
 *
 * check_frame() parses a hex vector and asserts, for every vector:
 *  - MQD_OK with the exact size, and the same with extra bytes after it;
 *  - every strict prefix gives MQD_NEED_MORE (never a frame, never a read
 *    past the prefix: each prefix is copied to a buffer of its exact size);
 *  - the violations are exactly the expected rules (as a multiset);
 *  - "every byte explained": the fields plus the span violations cover the
 *    frame exactly, with no gap and no overlap. */
#ifndef TEST_PARSE_UTIL_H
#define TEST_PARSE_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttdissect/frame.h"
#include "mqttdissect/props.h"
#include "mqttdissect/rules.h"

#define END MQD_RULE_COUNT
#define NONE ((const uint16_t[]){END})
#define RULES(...) ((const uint16_t[]){__VA_ARGS__, END})

static inline size_t hex2bin(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            v = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            v = *p - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
            continue;
        }
        assert_true(n < cap);
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    assert_int_equal(hi, -1);
    return n;
}

/* The last vector's bytes: frames point into them, so they live until the
 * next check_frame (or exit). */
static uint8_t *g_last;
static inline void free_last(void)
{
    free(g_last);
    g_last = NULL;
}

typedef struct span {
    uint32_t off, len;
    const char *what;
} span;

typedef struct spans {
    span s[128];
    unsigned n;
} spans;

static inline void add_span(spans *sp, uint32_t off, uint32_t len, const char *what)
{
    if (len == 0)
        return;
    assert_true(sp->n < 128);
    sp->s[sp->n].off = off;
    sp->s[sp->n].len = len;
    sp->s[sp->n].what = what;
    sp->n++;
}

static inline void add_num(spans *sp, const mqd_num *n, const char *what)
{
    if (n->present)
        add_span(sp, n->off, n->len, what);
}

static inline void add_str(spans *sp, const mqd_str *s, const char *what)
{
    if (s->present)
        add_span(sp, s->off, 2u + s->len, what);
}

static inline void add_props(spans *sp, const mqd_props *p, const char *what)
{
    if (!p->present)
        return;
    if (p->length.present)
        add_span(sp, p->length.off, p->length.nbytes, what);
    add_span(sp, p->off, p->len, what);
}

static inline int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static inline bool is_span_rule(uint16_t r)
{
    return r == MQD_R_TRAILING_BYTES || r == MQD_R_FIELD_TRUNCATED ||
           r == MQD_R_BODY_NOT_ALLOWED || r == MQD_R_DISCONNECT_BODY_BEFORE_V5;
}

static inline void assert_covered(const mqd_frame *f)
{
    spans sp;
    sp.n = 0;
    add_span(&sp, 0, 1, "header");
    add_span(&sp, 1, f->remaining.nbytes, "remaining length");
    add_num(&sp, &f->packet_id, "packet id");
    add_num(&sp, &f->ack_flags, "ack flags");
    add_num(&sp, &f->reason, "reason");
    add_props(&sp, &f->props, "props");
    add_str(&sp, &f->topic, "topic");
    if (f->payload.present)
        add_span(&sp, f->payload.off, f->payload.len, "payload");
    if (f->list.present)
        add_span(&sp, f->list.off, f->list.len, "list");
    const mqd_connect *k = &f->connect;
    add_str(&sp, &k->protocol_name, "protocol name");
    add_num(&sp, &k->level, "level");
    add_num(&sp, &k->flags, "connect flags");
    add_num(&sp, &k->keep_alive, "keep alive");
    add_props(&sp, &k->props, "connect props");
    add_str(&sp, &k->client_id, "client id");
    add_props(&sp, &k->will_props, "will props");
    add_str(&sp, &k->will_topic, "will topic");
    add_str(&sp, &k->will_payload, "will payload");
    add_str(&sp, &k->username, "username");
    add_str(&sp, &k->password, "password");
    for (unsigned i = 0; i < f->nviolations; i++)
        if (is_span_rule(f->violations[i].rule))
            add_span(&sp, f->violations[i].off, f->violations[i].value,
                     "violation span");
    qsort(sp.s, sp.n, sizeof sp.s[0], span_cmp);
    uint32_t at = 0;
    for (unsigned i = 0; i < sp.n; i++) {
        if (sp.s[i].off != at)
            fail_msg("byte %u: %s starts at %u (gap or overlap)", at,
                     sp.s[i].what, sp.s[i].off);
        at = sp.s[i].off + sp.s[i].len;
    }
    if (at != f->size)
        fail_msg("fields end at %u, frame size %u", at, f->size);
}

static inline void assert_rules(const mqd_frame *f, const uint16_t *want)
{
    unsigned nwant = 0;
    bool used[MQD_MAX_VIOLATIONS] = {false};
    while (want[nwant] != END)
        nwant++;
    for (unsigned w = 0; w < nwant; w++) {
        bool found = false;
        for (unsigned i = 0; i < f->nviolations && !found; i++)
            if (!used[i] && f->violations[i].rule == want[w])
                found = used[i] = true;
        if (!found) {
            const mqd_rule_info *ri = mqd_rule_get(want[w]);
            fail_msg("expected violation %s not reported",
                     ri ? ri->name : "?");
        }
    }
    for (unsigned i = 0; i < f->nviolations; i++)
        if (!used[i]) {
            const mqd_rule_info *ri = mqd_rule_get(f->violations[i].rule);
            fail_msg("unexpected violation %s at %u (value %u)",
                     ri ? ri->name : "?", f->violations[i].off,
                     f->violations[i].value);
        }
    assert_int_equal(f->violations_dropped, 0);
}

static inline void check_prefixes(const uint8_t *bytes, size_t n, uint8_t version)
{
    for (size_t k = 0; k < n; k++) {
        uint8_t *p = malloc(k ? k : 1);
        memcpy(p, bytes, k);
        mqd_frame f;
        mqd_result r = mqd_parse(p, k, version, &f);
        assert_int_equal(r.status, MQD_NEED_MORE);
        assert_true(r.need > k);
        assert_true(r.need <= n);
        free(p);
    }
}

/* Parses `hex` as `version` into *f and runs every check above. */
static inline void check_frame(const char *hex, uint8_t version, const uint16_t *want,
                        mqd_frame *f)
{
    static bool registered;
    static uint8_t tmp[70000];
    if (!registered) {
        atexit(free_last);
        registered = true;
    }
    size_t n = hex2bin(hex, tmp, sizeof tmp);
    free_last();
    g_last = malloc(n + 3);
    memcpy(g_last, tmp, n);

    /* With three bytes after it: same frame, same size. */
    memcpy(g_last + n, "\xC0\x00\x30", 3);
    mqd_result r = mqd_parse(g_last, n + 3, version, f);
    assert_int_equal(r.status, MQD_OK);
    assert_int_equal(r.size, n);

    /* Exactly the frame: moved to the end of its own allocation. */
    free_last();
    g_last = malloc(n);
    memcpy(g_last, tmp, n);
    r = mqd_parse(g_last, n, version, f);
    assert_int_equal(r.status, MQD_OK);
    assert_int_equal(r.size, n);
    assert_int_equal(f->size, n);
    assert_ptr_equal(f->base, g_last);
    assert_rules(f, want);
    assert_covered(f);
    check_prefixes(tmp, n, version);
}

static inline bool has_rule(const mqd_frame *f, uint16_t rule)
{
    for (unsigned i = 0; i < f->nviolations; i++)
        if (f->violations[i].rule == rule)
            return true;
    return false;
}

static inline const mqd_violation *find_rule(const mqd_frame *f, uint16_t rule)
{
    for (unsigned i = 0; i < f->nviolations; i++)
        if (f->violations[i].rule == rule)
            return &f->violations[i];
    return NULL;
}

#endif
