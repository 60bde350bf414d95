/* Fuzz target "parse": mqd_parse and everything that walks a parsed frame.
 *
 * Input: data[0] & 3 picks the protocol level (0 = unknown, 3, 4, 5); the
 * rest is handed to mqd_parse as it is (libFuzzer's buffer has exactly that
 * size, so ASan catches any read past it). Then:
 *  - OK: every field's off+len lies inside the frame, every slice points at
 *    base + its offset, every property lies inside its block, every filter
 *    inside the list; the fixed header reader agrees; parsing exactly the
 *    frame's bytes again gives the same verdict; every prefix of the frame is
 *    NEED_MORE (STYLE.md "every prefix is NEED_MORE"); mqd_frame_add_violation
 *    appends, drops or refuses as frame.h says.
 *  - NEED_MORE: need > len.  ERROR: err_off < len, err_rule in the catalogue.
 *  - mqd_infer_version and mqd_frame_plausibility stay in range.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttdissect/mqd.h"
#include "targets.h"

static const uint8_t parse_versions[4] = {MQD_VERSION_UNKNOWN, MQD_V31,
                                          MQD_V311, MQD_V5};

/* [off, off+len) inside [lo, hi). 64-bit sums: no wrap-around. */
static void check_span(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi,
                       const char *what)
{
    FUZZ_CHECK(off >= lo, what);
    FUZZ_CHECK(off + len <= hi, what);
}

static void check_num(const mqd_frame *f, const mqd_num *n, const char *what)
{
    if (!n->present)
        return;
    FUZZ_CHECK(n->len >= 1 && n->len <= 4, what);
    check_span(n->off, n->len, 0, f->size, what);
}

static void check_varint(const mqd_frame *f, const mqd_varint *v,
                         const char *what)
{
    if (!v->present)
        return;
    FUZZ_CHECK(v->nbytes >= 1 && v->nbytes <= 5, what);
    check_span(v->off, v->nbytes, 0, f->size, what);
}

/* A length-prefixed string: 2-byte prefix at off, data right after it. */
static void check_str_in(const mqd_frame *f, const mqd_str *s, uint64_t lo,
                         uint64_t hi, const char *what)
{
    if (!s->present)
        return;
    check_span(s->off, 2u + (uint64_t)s->len, lo, hi, what);
    FUZZ_CHECK(s->data == f->base + s->off + 2, what);
}

static void check_str(const mqd_frame *f, const mqd_str *s, const char *what)
{
    check_str_in(f, s, 0, f->size, what);
}

static void check_bytes(const mqd_frame *f, const mqd_bytes *b,
                        const char *what)
{
    if (!b->present)
        return;
    check_span(b->off, b->len, 0, f->size, what);
    FUZZ_CHECK(b->len == 0 || b->data == f->base + b->off, what);
}

static void check_prop(const mqd_frame *f, const mqd_props *block,
                       const mqd_prop *p)
{
    check_span(p->off, p->len, block->off, (uint64_t)block->off + block->len,
               "property outside its block");
    FUZZ_CHECK(p->len >= 1, "property of no bytes");
    FUZZ_CHECK(p->info == mqd_prop_lookup(p->id), "property info != lookup");
    uint64_t end = (uint64_t)p->off + p->len;
    check_str_in(f, &p->str, p->off, end, "property string outside property");
    check_str_in(f, &p->str2, p->off, end, "property value outside property");
    if (p->info && p->info->type == MQD_PT_VARINT && p->varint.present)
        check_span(p->varint.off, p->varint.nbytes, p->off, end,
                   "property varint outside property");
}

/* Walks one property block; returns the properties seen. */
static unsigned walk_props(const mqd_frame *f, const mqd_props *block)
{
    if (!block->present)
        return 0;
    check_varint(f, &block->length, "property length field");
    check_span(block->off, block->len, 0, f->size, "property block");
    mqd_prop_iter it;
    mqd_prop_iter_init(&it, f, block);
    mqd_prop p;
    unsigned n = 0;
    uint64_t last_off = 0;
    bool first = true;
    while (mqd_prop_next(&it, &p)) {
        check_prop(f, block, &p);
        FUZZ_CHECK(first || p.off > last_off, "property iterator not advancing");
        FUZZ_CHECK(n <= block->len, "more properties than bytes");
        if (first) {
            mqd_prop found;
            FUZZ_CHECK(mqd_prop_find(f, block, p.id, &found),
                       "mqd_prop_find misses the first property");
            FUZZ_CHECK(found.off == p.off, "mqd_prop_find found another one");
        }
        last_off = p.off;
        first = false;
        n++;
    }
    return n;
}

static void walk_filters(const mqd_frame *f)
{
    mqd_filter_iter it;
    mqd_filter_iter_init(&it, f);
    mqd_filter flt;
    uint64_t lo = f->list.present ? f->list.off : 0;
    uint64_t hi = f->list.present ? (uint64_t)f->list.off + f->list.len : f->size;
    uint32_t n = 0;
    uint64_t last_off = 0;
    while (mqd_filter_next(&it, &flt)) {
        FUZZ_CHECK(f->type == MQD_SUBSCRIBE || f->type == MQD_UNSUBSCRIBE,
                   "filters in a packet that has none");
        check_str_in(f, &flt.filter, lo, hi, "filter outside the list");
        if (flt.options.present)
            check_span(flt.options.off, flt.options.len, lo, hi,
                       "subscription options outside the list");
        FUZZ_CHECK(n == 0 || flt.filter.off > last_off,
                   "filter iterator not advancing");
        FUZZ_CHECK(flt.qos <= 3 && flt.retain_handling <= 3, "option range");
        last_off = flt.filter.off;
        n++;
        FUZZ_CHECK(n <= f->size, "more filters than bytes");
    }
}

static void check_connect(const mqd_frame *f)
{
    const mqd_connect *c = &f->connect;
    check_str(f, &c->protocol_name, "protocol name");
    check_num(f, &c->level, "protocol level");
    check_num(f, &c->flags, "connect flags");
    check_num(f, &c->keep_alive, "keep alive");
    check_str(f, &c->client_id, "client id");
    check_str(f, &c->will_topic, "will topic");
    check_str(f, &c->will_payload, "will payload");
    check_str(f, &c->username, "username");
    check_str(f, &c->password, "password");
    FUZZ_CHECK(c->will_qos <= 3, "will qos");
    walk_props(f, &c->props);
    walk_props(f, &c->will_props);
    uint8_t v = mqd_connect_version(f);
    FUZZ_CHECK(v == 0 || v == 3 || v == 4 || v == 5, "connect version");
}

static void check_violations(const mqd_frame *f)
{
    FUZZ_CHECK(f->nviolations <= MQD_MAX_VIOLATIONS, "violation count");
    for (uint16_t i = 0; i < f->nviolations; i++) {
        const mqd_violation *v = &f->violations[i];
        FUZZ_CHECK(v->rule < MQD_RULE_COUNT, "violation rule out of range");
        const mqd_rule_info *ri = mqd_rule_get(v->rule);
        FUZZ_CHECK(ri && ri->id && ri->name && ri->message, "rule info");
        FUZZ_CHECK(mqd_severity_name(ri->severity) != NULL, "severity name");
        FUZZ_CHECK(v->off <= f->size, "violation offset past the frame");
    }
    FUZZ_CHECK(f->violations_dropped == 0 ||
                   f->nviolations == MQD_MAX_VIOLATIONS,
               "violations dropped before the array was full");
}

static void check_frame(const uint8_t *buf, size_t len, const mqd_result *r, const mqd_frame *f)
{
    FUZZ_CHECK(r->size >= 2 && r->size <= len, "frame size vs input");
    FUZZ_CHECK(f->size == r->size, "frame size != result size");
    FUZZ_CHECK(f->base == buf, "frame base");
    FUZZ_CHECK(f->header == buf[0], "header byte");
    FUZZ_CHECK(f->type == (buf[0] >> 4) && f->flags == (buf[0] & 0x0f),
               "type/flags");
    FUZZ_CHECK(f->remaining.present && f->remaining.off == 1, "remaining");
    FUZZ_CHECK((uint64_t)1 + f->remaining.nbytes + f->remaining.value ==
                   f->size,
               "size != 1 + nbytes + remaining length");
    FUZZ_CHECK(f->qos <= 3, "qos");
    FUZZ_CHECK(mqd_type_name(f->type) != NULL, "type name");
    FUZZ_CHECK(mqd_version_name(f->version) != NULL, "version name");

    check_num(f, &f->packet_id, "packet id");
    check_num(f, &f->ack_flags, "ack flags");
    check_num(f, &f->reason, "reason code");
    if (f->reason.present)
        (void)mqd_reason_name(f->type, f->version, (uint8_t)f->reason.value);
    check_str(f, &f->topic, "topic");
    check_bytes(f, &f->payload, "payload");
    if (f->list.present) {
        check_span(f->list.off, f->list.len, 0, f->size, "list");
        FUZZ_CHECK(f->list.len == 0 || f->list.data == f->base + f->list.off,
                   "list data");
    }
    unsigned nprops = walk_props(f, &f->props);
    FUZZ_CHECK(!f->props.present || nprops <= f->props.count ||
                   f->props.count == UINT16_MAX,
               "iterator yields more properties than the parser counted");
    walk_filters(f);
    if (f->type == MQD_CONNECT)
        check_connect(f);
    check_violations(f);

    mqd_fixed_header fh;
    mqd_result hr = mqd_fixed_header_read(buf, len, &fh);
    FUZZ_CHECK(hr.status == MQD_OK && hr.size == f->size,
               "fixed header reader disagrees with mqd_parse");
    FUZZ_CHECK(fh.type == f->type && fh.flags == f->flags,
               "fixed header fields disagree");
}

/* Parses exactly the frame's bytes from a fresh allocation of that size:
 * same verdict, same violations (nothing read past the frame). */
static void check_reparse(const uint8_t *buf, uint8_t version,
                          const mqd_frame *f)
{
    uint8_t *copy = malloc(f->size);
    FUZZ_CHECK(copy != NULL, "malloc");
    memcpy(copy, buf, f->size);
    static mqd_frame g;
    mqd_result r = mqd_parse(copy, f->size, version, &g);
    FUZZ_CHECK(r.status == MQD_OK && r.size == f->size,
               "exact-size reparse differs");
    FUZZ_CHECK(g.nviolations == f->nviolations, "reparse violations differ");
    for (uint16_t i = 0; i < g.nviolations; i++)
        FUZZ_CHECK(g.violations[i].rule == f->violations[i].rule &&
                       g.violations[i].off == f->violations[i].off,
                   "reparse violation differs");
    free(copy);
}

static void check_prefix(const uint8_t *buf, size_t k, uint8_t version)
{
    uint8_t *copy = malloc(k ? k : 1);
    FUZZ_CHECK(copy != NULL, "malloc");
    if (k)
        memcpy(copy, buf, k);
    static mqd_frame g;
    mqd_result r = mqd_parse(copy, k, version, &g);
    FUZZ_CHECK(r.status == MQD_NEED_MORE, "a prefix of a frame is not NEED_MORE");
    FUZZ_CHECK(r.need > k, "NEED_MORE asks for no more bytes");
    free(copy);
}

/* Every prefix of small frames; a handful of larger ones. */
static void check_prefixes(const uint8_t *buf, uint8_t version, uint32_t size)
{
    if (size <= 40) {
        for (uint32_t k = 0; k < size; k++)
            check_prefix(buf, k, version);
        return;
    }
    const uint32_t picks[] = {0, 1, 2, 3, 4, 5, size / 2, size - 2, size - 1};
    for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++)
        check_prefix(buf, picks[i], version);
}

/* mqd_frame_add_violation: records known rules while there is room, counts
 * the rest as dropped, refuses unknown rules. */
static void check_add_violation(mqd_frame *f, uint8_t pick)
{
    uint16_t rule = (uint16_t)(pick % (MQD_RULE_COUNT + 2u));
    uint16_t n = f->nviolations, dropped = f->violations_dropped;
    bool ok = mqd_frame_add_violation(f, rule, f->size - 1u, 7);
    if (rule >= MQD_RULE_COUNT) {
        FUZZ_CHECK(!ok && f->nviolations == n, "unknown rule recorded");
    } else if (n < MQD_MAX_VIOLATIONS) {
        FUZZ_CHECK(ok && f->nviolations == n + 1 &&
                       f->violations[n].rule == rule,
                   "violation not appended");
    } else {
        FUZZ_CHECK(!ok && f->violations_dropped == dropped + 1,
                   "violation past the array not counted as dropped");
    }
    check_violations(f);
}

void fuzz_parse(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    uint8_t version = parse_versions[data[0] & 3];
    const uint8_t *buf = data + 1;
    size_t len = size - 1;

    static mqd_frame f; /* large: keep it off the stack */
    mqd_result r = mqd_parse(buf, len, version, &f);
    switch (r.status) {
    case MQD_OK:
        check_frame(buf, len, &r, &f);
        check_reparse(buf, version, &f);
        check_prefixes(buf, version, f.size);
        check_add_violation(&f, data[0] >> 2);
        break;
    case MQD_NEED_MORE:
        FUZZ_CHECK(r.need > len, "NEED_MORE with enough bytes");
        break;
    case MQD_ERROR:
        FUZZ_CHECK(r.err_off < len, "error offset past the input");
        FUZZ_CHECK(r.err_rule < MQD_RULE_COUNT, "error rule");
        break;
    default:
        FUZZ_CHECK(false, "unknown status");
    }

    uint8_t iv = mqd_infer_version(buf, len);
    FUZZ_CHECK(iv == 0 || iv == 3 || iv == 4 || iv == 5, "inferred version");
    int score = mqd_frame_plausibility(buf, len, version);
    FUZZ_CHECK(score >= 0 && score <= 100, "plausibility out of 0..100");
}
