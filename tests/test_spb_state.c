/* The Sparkplug B state (cli/analysis/spb_state.c) through its API: its
 * bounds (Edge Nodes, aliases: the rest counted as overflow, nothing kept),
 * seq wrapping past 255 without a violation, the alias names it hands to
 * the display (msg_analysis.spb_names), the rule catalogue's fields, and
 * the broker's copies (direction 1) named but never checked. The rules
 * themselves, one crafted case each, are in tests/sparkplug_rules.test.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/spb_state.h"
#include "decode/sparkplug.h"
#include "mqttdissect/mqd.h"

/* ---- a protobuf Payload, hand-encoded (decode/sparkplug_b.proto) ---- */

struct buf {
    uint8_t *d;
    size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->d = realloc(b->d, b->cap);
        assert_non_null(b->d);
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void varint(struct buf *b, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v)
            c |= 0x80;
        put(b, &c, 1);
    } while (v);
}

static void field_uint(struct buf *b, unsigned f, uint64_t v)
{
    varint(b, (uint64_t)f << 3);
    varint(b, v);
}

static void field_bytes(struct buf *b, unsigned f, const void *p, size_t n)
{
    varint(b, (uint64_t)f << 3 | 2);
    varint(b, n);
    put(b, p, n);
}

/* A metric: name (NULL: none), alias (0: none), datatype, integer value. */
static void add_metric(struct buf *payload, const char *name, uint64_t alias,
                       uint32_t dt, uint64_t value)
{
    struct buf m = {0};
    if (name)
        field_bytes(&m, 1, name, strlen(name));
    if (alias)
        field_uint(&m, 2, alias);
    field_uint(&m, 4, dt);
    field_uint(&m, dt == SPB_DT_BOOLEAN ? 14 : 11, value);
    field_bytes(payload, 2, m.d, m.n);
    free(m.d);
}

/* A PUBLISH of topic with payload p, parsed. */
static void publish(mqd_frame *f, struct buf *wire, const char *topic, const struct buf *p)
{
    struct buf body = {0};
    uint8_t tl[2] = {(uint8_t)(strlen(topic) >> 8), (uint8_t)strlen(topic)};
    put(&body, tl, 2);
    put(&body, topic, strlen(topic));
    put(&body, p->d, p->n);
    wire->n = 0;
    uint8_t h = 0x30;
    put(wire, &h, 1);
    varint(wire, body.n);
    put(wire, body.d, body.n);
    free(body.d);
    assert_int_equal(mqd_parse(wire->d, wire->n, MQD_V311, f).status, MQD_OK);
}

static void nbirth(struct buf *p, uint64_t bd, uint64_t first_alias, unsigned naliases)
{
    p->n = 0;
    field_uint(p, 3, 0); /* seq */
    add_metric(p, "bdSeq", 0, SPB_DT_UINT64, bd);
    add_metric(p, "Node Control/Rebirth", 0, SPB_DT_BOOLEAN, 0);
    for (unsigned i = 0; i < naliases; i++) {
        char name[32];
        snprintf(name, sizeof name, "m%u", i);
        add_metric(p, name, first_alias + i, SPB_DT_INT8, i);
    }
}

struct fix {
    struct spb_state *s;
    struct buf wire, p;
    mqd_frame f;
    struct msg_analysis an;
};

static void send(struct fix *x, uint64_t conn, int dir, const char *topic)
{
    publish(&x->f, &x->wire, topic, &x->p);
    memset(&x->an, 0, sizeof x->an);
    spb_state_on_publish(x->s, conn, dir, true, &x->f, (const uint8_t *)topic,
                         strlen(topic), &x->an);
}

static void fix_free(struct fix *x)
{
    spb_state_free(x->s);
    free(x->wire.d);
    free(x->p.d);
}

/* More Edge Nodes than SPB_MAX_NODES: the rest counted, not kept, and no
 * violation for them (their state is unknown). */
static void test_node_bound(void **st)
{
    (void)st;
    struct fix x = {.s = spb_state_new()};
    assert_non_null(x.s);
    nbirth(&x.p, 0, 1, 1);
    for (unsigned i = 0; i < SPB_MAX_NODES + 100; i++) {
        char topic[64];
        snprintf(topic, sizeof topic, "spBv1.0/g/NBIRTH/n%u", i);
        send(&x, 1, 0, topic);
        assert_int_equal(x.an.nhits, 0);
    }
    const struct spb_counts *c = spb_state_counts(x.s);
    assert_int_equal(c->edge_nodes, SPB_MAX_NODES);
    assert_int_equal(c->nbirths, SPB_MAX_NODES + 100);
    assert_int_equal(c->overflow, 100);
    assert_int_equal(c->violations, 0);
    fix_free(&x);
}

/* Aliases past SPB_MAX_ALIASES in all: counted, never an ALIAS_NOT_UNIQUE
 * or ALIAS_UNKNOWN made up by the bound. */
static void test_alias_bound(void **st)
{
    (void)st;
    struct fix x = {.s = spb_state_new()};
    unsigned per = 5000, nodes = SPB_MAX_ALIASES / per + 2;
    for (unsigned i = 0; i < nodes; i++) {
        char topic[64];
        snprintf(topic, sizeof topic, "spBv1.0/g/NBIRTH/a%u", i);
        nbirth(&x.p, 0, 1, per);
        send(&x, 1, 0, topic);
        assert_int_equal(x.an.nhits, 0);
    }
    const struct spb_counts *c = spb_state_counts(x.s);
    assert_true(c->overflow >= (uint64_t)nodes * per - SPB_MAX_ALIASES);
    assert_int_equal(c->violations, 0);
    fix_free(&x);
}

/* seq wraps from 255 to 0; a jump is one gap and one violation. Data by
 * alias get the births' names, the broker's copies too, unchecked. */
static void test_seq_and_names(void **st)
{
    (void)st;
    struct fix x = {.s = spb_state_new()};
    nbirth(&x.p, 0, 7, 2);
    send(&x, 1, 0, "spBv1.0/g/NBIRTH/e");
    assert_int_equal(x.an.nhits, 0);
    for (unsigned i = 1; i <= 600; i++) {
        x.p.n = 0;
        field_uint(&x.p, 3, i % 256);
        add_metric(&x.p, NULL, 8, SPB_DT_INT8, i);
        send(&x, 1, 0, "spBv1.0/g/NDATA/e");
        assert_int_equal(x.an.nhits, 0);
        assert_int_equal(x.an.spb_names.count, 1);
    }
    uint32_t pos = 0, metric, dt;
    const uint8_t *name;
    uint16_t len;
    assert_true(msg_spb_name_next(&x.an.spb_names, &pos, &metric, &dt, &name, &len));
    assert_int_equal(metric, 0);
    assert_int_equal(dt, SPB_DT_INT8);
    assert_int_equal(len, 2);
    assert_memory_equal(name, "m1", 2);
    assert_false(msg_spb_name_next(&x.an.spb_names, &pos, &metric, &dt, &name, &len));

    /* The broker's copy: named, never checked (seq 77 is no gap). */
    x.p.n = 0;
    field_uint(&x.p, 3, 77);
    add_metric(&x.p, NULL, 7, SPB_DT_INT8, 1);
    add_metric(&x.p, NULL, 999, SPB_DT_INT8, 1);
    send(&x, 2, 1, "spBv1.0/g/NDATA/e");
    assert_int_equal(x.an.nhits, 0);
    assert_int_equal(x.an.spb_names.count, 1);
    const struct spb_counts *c = spb_state_counts(x.s);
    assert_int_equal(c->seq_gaps, 0);

    /* The publisher's: a jump in seq, an unknown alias. */
    send(&x, 1, 0, "spBv1.0/g/NDATA/e");
    assert_int_equal(x.an.nhits, 2);
    assert_string_equal(x.an.hits[0].rule->name, "SPB_SEQ_NOT_INCREMENTING");
    assert_int_equal(x.an.hits[0].value, 77);
    assert_string_equal(x.an.hits[1].rule->name, "SPB_ALIAS_UNKNOWN");
    assert_int_equal(x.an.hits[1].value, 999);
    assert_int_equal(c->seq_gaps, 1);
    assert_int_equal(c->violations, 2);
    assert_int_equal(c->by_rule[SPB_R_SEQ_NOT_INCREMENTING], 1);
    fix_free(&x);
}

/* Every entry of the catalogue has all its fields; ids and names unique;
 * ids are a tck id or a project id. */
static void test_catalogue(void **st)
{
    (void)st;
    const struct rule_entry *r = spb_rules();
    for (unsigned i = 0; i < SPB_RULE_COUNT; i++) {
        assert_ptr_equal(spb_rule_get(i), &r[i]);
        assert_true(strncmp(r[i].id, "tck-id-", 7) == 0 || strncmp(r[i].id, "MQD-SPB-", 8) == 0);
        assert_true(strncmp(r[i].name, "SPB_", 4) == 0);
        assert_true(r[i].severity <= MQD_SEV_INFO);
        assert_true(r[i].message[0] && r[i].section[0] && r[i].statement[0]);
        assert_string_equal(r[i].versions, "sparkplug3.0");
        for (unsigned j = 0; j < i; j++) {
            assert_string_not_equal(r[i].id, r[j].id);
            assert_string_not_equal(r[i].name, r[j].name);
        }
    }
    assert_null(spb_rule_get(SPB_RULE_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_bound),
        cmocka_unit_test(test_alias_bound),
        cmocka_unit_test(test_seq_and_names),
        cmocka_unit_test(test_catalogue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
