/* See lifecycle.h. */
#include "lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *lc_publish(int id)
{
    static char p[LC_PUBLISH_LEN + 1];
    memcpy(p, "\x32\x07\x00\x01t\x00\x00hi", LC_PUBLISH_LEN);
    p[6] = (char)id;
    return p;
}

const char *lc_puback(int id)
{
    static char p[5];
    memcpy(p, "\x40\x02\x00\x00", 4);
    p[3] = (char)id;
    return p;
}

void lc_connect_flow(struct pktgen *g, struct pktgen_flow *f, uint32_t isn)
{
    pktgen_handshake(g, f, isn, 5000);
    pktgen_data(g, f, PKTGEN_C2S, LC_CONNECT, sizeof LC_CONNECT - 1);
    pktgen_data(g, f, PKTGEN_S2C, LC_CONNACK, 4);
}

void lc_v5_connect_flow(struct pktgen *g, struct pktgen_flow *f)
{
    pktgen_handshake(g, f, 1000, 5000);
    LC_SEND(g, f, PKTGEN_C2S, LC_V5_CONNECT);
    LC_SEND(g, f, PKTGEN_S2C, LC_V5_CONNACK);
}

void lc_fins(struct pktgen *g, struct pktgen_flow *f)
{
    pktgen_fin(g, f, PKTGEN_C2S);
    pktgen_fin(g, f, PKTGEN_S2C);
}

void lc_other_traffic(struct pktgen *g)
{
    struct pktgen_flow other;
    pktgen_flow4(&other, "10.0.0.5", 9999, "10.0.0.6", 9999);
    pktgen_udp(g, &other, PKTGEN_C2S, "x", 1);
}

static void add(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

static int int_of(json_t *o, const char *key)
{
    return (int)json_integer_value(json_object_get(o, key));
}

/* "conn@frame:rule/severity " for one violation (a message's or an
 * event's). */
static void add_rule(struct lc_result *r, json_t *rec, json_t *v)
{
    add(r->rules, sizeof r->rules, "%d@%d:%s/%s ", int_of(rec, "conn"),
        int_of(rec, "frame"), json_string_value(json_object_get(v, "rule")),
        json_string_value(json_object_get(v, "severity")));
}

/* One record into r. */
static void sort_record(struct lc_result *r, json_t *o)
{
    const char *src = json_string_value(json_object_get(o, "src"));
    size_t sl = src ? strlen(src) : 0;
    int d = sl > 6 && strcmp(src + sl - 6, ":50000") == 0 ? 0 : 1;
    int conn = int_of(o, "conn");
    json_t *ev = json_object_get(o, "event");
    const char *ps = json_string_value(json_object_get(o, "proxied_src"));
    r->records++;
    if (ps) {
        r->proxied++;
        snprintf(r->proxied_src, sizeof r->proxied_src, "%s", ps);
    }
    if (ev) {
        const char *name = json_string_value(ev);
        if (strcmp(name, "state_violation") == 0) {
            r->violations++;
            add_rule(r, o, o);
        }
        add(r->events, sizeof r->events, "%d:%c:%s ", conn, d ? 's' : 'c',
            name);
        return;
    }
    json_t *id = json_object_get(o, "packet_id");
    json_t *vs = json_object_get(o, "violations");
    r->violations += (int)json_array_size(vs);
    for (size_t i = 0; i < json_array_size(vs); i++)
        add_rule(r, o, json_array_get(vs, i));
    add(r->dir[d], sizeof r->dir[d], "%d:%s", conn,
        json_string_value(json_object_get(o, "type")));
    if (id)
        add(r->dir[d], sizeof r->dir[d], "#%d", (int)json_integer_value(id));
    add(r->dir[d], sizeof r->dir[d], "@%d ", int_of(o, "frame"));
}

void lc_run(const char *pcap, const char *extra, struct lc_result *r)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/mqttdissect -r %s -T json --color never %s",
             MQD_BINARY_DIR, pcap, extra ? extra : "");
    memset(r, 0, sizeof *r);
    r->recs = json_array();
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[65536];
    while (fgets(line, sizeof line, p)) {
        json_error_t err;
        json_t *o = json_loads(line, JSON_ALLOW_NUL, &err);
        assert_non_null(o);
        sort_record(r, o);
        json_array_append_new(r->recs, o);
    }
    assert_int_equal(pclose(p), 0);
}

void lc_result_free(struct lc_result *r)
{
    json_decref(r->recs);
    r->recs = NULL;
}

json_t *lc_record(const struct lc_result *r, const char *key,
                  const char *value, size_t nth)
{
    size_t seen = 0;
    for (size_t i = 0; i < json_array_size(r->recs); i++) {
        json_t *o = json_array_get(r->recs, i);
        const char *s = json_string_value(json_object_get(o, key));
        if (s && strcmp(s, value) == 0 && seen++ == nth)
            return o;
    }
    fail_msg("no record %zu with %s \"%s\"", nth, key, value);
    return NULL;
}

json_t *lc_get(json_t *rec, const char *path)
{
    char name[128];
    while (rec && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof name)
            return NULL;
        memcpy(name, path, n);
        name[n] = '\0';
        rec = json_object_get(rec, name);
        path += n + (path[n] == '.');
    }
    return rec;
}

/* The cmocka test of one case (its state: the struct lifecycle_case). */
static void lifecycle_test_case(void **state)
{
    const struct lifecycle_case *k = *state;
    char path[256];
    snprintf(path, sizeof path, "/tmp/mqd-lifecycle-%ld-%s.pcap",
             (long)getpid(), k->tag);
    struct pktgen *g = pktgen_open_file(path, k->raw ? PKTGEN_LINKTYPE_RAW
                                                     : DLT_EN10MB);
    assert_non_null(g);
    pktgen_set_time(g, 1000000);
    struct pktgen_flow f;
    uint16_t port = k->port ? k->port : 1883;
    if (k->family == 6)
        pktgen_flow6(&f, "2001:db8::1", 50000, "2001:db8::2", port);
    else
        pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", port);
    k->script(g, &f);
    assert_int_equal(pktgen_close(g), 0);
    struct lc_result r;
    lc_run(path, k->options, &r);
    unlink(path);
    assert_string_equal(r.dir[0], k->client);
    assert_string_equal(r.dir[1], k->server);
    assert_string_equal(r.events, k->events);
    assert_string_equal(r.rules, k->rules ? k->rules : "");
    if (k->proxied_src) {
        assert_int_equal(r.proxied, r.records);
        assert_string_equal(r.proxied_src, k->proxied_src);
    }
    if (k->check)
        k->check(&r);
    lc_result_free(&r);
}

int lifecycle_run_cases(const char *name, const struct lifecycle_case *cases,
                        size_t n, const struct CMUnitTest *extra,
                        size_t nextra)
{
    struct CMUnitTest *tests = calloc(n + nextra, sizeof *tests);
    assert_non_null(tests);
    for (size_t i = 0; i < n; i++)
        tests[i] = (struct CMUnitTest){cases[i].tag, lifecycle_test_case, NULL,
                                       NULL, (void *)&cases[i]};
    for (size_t i = 0; i < nextra; i++)
        tests[n + i] = extra[i];
    int rc = _cmocka_run_group_tests(name, tests, n + nextra, NULL, NULL);
    free(tests);
    return rc;
}
