/* MQTT-SN over UDP: the per-client registry (cli/analysis/sn_registry.c:
 * REGISTER / REGACK both ways, SUBSCRIBE / SUBACK, client ids), its bounds
 * (topics per client, clients), the JSON and text records it feeds
 * (output_sn), and the pipeline's part (cli/pipeline_sn.c: the port
 * choice, cut and undecodable datagrams, and the selection by --type,
 * --topic and --client). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analysis/sn_registry.h"
#include "options.h"
#include "output/out_parallel.h"
#include "output/output.h"
#include "pipeline_sn.h"
#include "util/json_writer.h"

static struct pkt_endpoint ep4(uint8_t last, uint16_t port)
{
    struct pkt_endpoint e;
    memset(&e, 0, sizeof e);
    e.family = PKT_AF_INET;
    e.addr[0] = 10;
    e.addr[3] = last;
    e.port = port;
    return e;
}

/* A registry and a printer in memory: what the pipeline does with a
 * datagram, step by step through the registry's API. */
struct sn_fix {
    struct sn_registry *reg;
    struct output *out;
    uint64_t frame;
};

static struct sn_fix *new_flow(bool json, size_t max_clients, size_t max_topics)
{
    struct sn_registry_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_clients = max_clients;
    cfg.max_topics = max_topics;
    struct sn_fix *sn = calloc(1, sizeof *sn);
    assert_non_null(sn);
    sn->reg = sn_registry_new(&cfg);
    assert_non_null(sn->reg);
    struct output_opts oo = {.verbose = true, .in_memory = true};
    sn->out = output_open(json ? OUTPUT_JSON : OUTPUT_TEXT, &oo);
    assert_non_null(sn->out);
    return sn;
}

static void fix_free(struct sn_fix *sn)
{
    sn_registry_free(sn->reg);
    (void)output_close(sn->out);
    free(sn);
}

static const struct sn_registry_stats *fix_stats(struct sn_fix *sn)
{
    return sn_registry_stats(sn->reg);
}

static const char *fix_output(struct sn_fix *sn, size_t *len)
{
    struct obuf *b = output_buffer(sn->out);
    *len = obuf_len(b);
    return obuf_data(b);
}

/* A datagram of one message (Length, MsgType, body). */
static size_t datagram(uint8_t *buf, uint8_t type, const uint8_t *body, size_t n)
{
    assert_true(n + 2 <= 255);
    buf[0] = (uint8_t)(n + 2);
    buf[1] = type;
    memcpy(buf + 2, body, n);
    return n + 2;
}

/* A message between client `cl` and the gateway at 10.0.0.254:1884; `up`:
 * client -> gateway. Learned, resolved and printed. */
static bool send_msg(struct sn_fix *sn, uint8_t cl, bool up, uint8_t type,
                     const uint8_t *body, size_t n)
{
    uint8_t buf[300];
    size_t len = datagram(buf, type, body, n);
    struct pkt_endpoint c = ep4(cl, (uint16_t)(40000 + cl)), g = ep4(254, 1884);
    int dir;
    struct sn_client *cli = up ? sn_registry_datagram(sn->reg, &c, &g, &dir)
                               : sn_registry_datagram(sn->reg, &g, &c, &dir);
    assert_non_null(cli);
    assert_int_equal(dir, up ? 0 : 1);
    mqd_sn_msg m;
    if (mqd_sn_parse(buf, len, &m).status != MQD_OK)
        return false;
    sn_registry_count_message(sn->reg, &m);
    sn_registry_learn(sn->reg, cli, &m, dir);
    struct sn_record rec = {&m, dir, {SN_TOPIC_NONE, NULL, 0}};
    sn_registry_resolve(sn->reg, cli, &m, &rec.topic);
    struct msg_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.frame = ++sn->frame;
    meta.conn = sn_client_number(cli);
    meta.transport = "udp";
    snprintf(meta.src, sizeof meta.src, "%s", sn_client_addr(cli, dir));
    snprintf(meta.dst, sizeof meta.dst, "%s", sn_client_addr(cli, 1 - dir));
    output_sn(sn->out, &meta, &rec);
    return true;
}

static void reg(struct sn_fix *sn, uint8_t cl, bool up, uint16_t id,
                uint16_t msg_id, const char *name)
{
    uint8_t b[128];
    size_t n = strlen(name);
    b[0] = (uint8_t)(id >> 8);
    b[1] = (uint8_t)id;
    b[2] = (uint8_t)(msg_id >> 8);
    b[3] = (uint8_t)msg_id;
    memcpy(b + 4, name, n);
    assert_true(send_msg(sn, cl, up, MQD_SN_REGISTER, b, 4 + n));
}

static void id_ack(struct sn_fix *sn, uint8_t cl, bool up, uint8_t type,
                   uint16_t id, uint16_t msg_id, uint8_t rc)
{
    uint8_t b[8] = {(uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(msg_id >> 8),
                    (uint8_t)msg_id, rc};
    if (type == MQD_SN_SUBACK) { /* Flags first */
        memmove(b + 1, b, 5);
        b[0] = 0x20;
        assert_true(send_msg(sn, cl, up, type, b, 6));
    } else {
        assert_true(send_msg(sn, cl, up, type, b, 5));
    }
}

static void publish(struct sn_fix *sn, uint8_t cl, bool up, uint8_t flags,
                    uint16_t id, const char *data)
{
    uint8_t b[128];
    size_t n = strlen(data);
    b[0] = flags;
    b[1] = (uint8_t)(id >> 8);
    b[2] = (uint8_t)id;
    b[3] = b[4] = 0;
    memcpy(b + 5, data, n);
    assert_true(send_msg(sn, cl, up, MQD_SN_PUBLISH, b, 5 + n));
}

static struct sn_client *client_of(struct sn_fix *sn, uint8_t cl)
{
    struct pkt_endpoint c = ep4(cl, (uint16_t)(40000 + cl)), g = ep4(254, 1884);
    return sn_registry_client(sn->reg, &c, &g);
}

static bool known(struct sn_fix *sn, uint8_t cl, uint16_t id, const char *want)
{
    const uint8_t *name;
    size_t len;
    if (!sn_client_topic(client_of(sn, cl), id, &name, &len))
        return false;
    return want == NULL || (len == strlen(want) && memcmp(name, want, len) == 0);
}

/* The last JSON line written, parsed. */
static json_t *last_record(struct sn_fix *sn)
{
    size_t len;
    const char *out = fix_output(sn, &len);
    assert_true(len > 0 && out[len - 1] == '\n');
    size_t start = len - 1;
    while (start > 0 && out[start - 1] != '\n')
        start--;
    json_error_t err;
    json_t *j = json_loadb(out + start, len - 1 - start, 0, &err);
    if (!j)
        fail_msg("bad JSON: %s", err.text);
    return j;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_client_register(void **state)
{
    (void)state;
    struct sn_fix *sn = new_flow(true, 0, 0);
    reg(sn, 1, true, 0, 1, "sensors/1/temp"); /* s6.5: the client asks */
    assert_false(known(sn, 1, 5, NULL));
    id_ack(sn, 1, false, MQD_SN_REGACK, 5, 1, 0);
    assert_true(known(sn, 1, 5, "sensors/1/temp"));

    publish(sn, 1, true, 0x20, 5, "21.5");
    json_t *j = last_record(sn);
    assert_string_equal(jstr(j, "type"), "PUBLISH");
    assert_string_equal(jstr(j, "transport"), "udp");
    assert_string_equal(jstr(j, "version"), "sn1.2");
    assert_string_equal(jstr(j, "topic"), "sensors/1/temp");
    assert_string_equal(jstr(j, "topic_source"), "registry");
    assert_string_equal(jstr(j, "topic_id_type"), "normal");
    assert_int_equal(json_integer_value(json_object_get(j, "qos")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "topic_id")), 5);
    assert_int_equal(json_array_size(json_object_get(j, "violations")), 0);
    json_decref(j);

    publish(sn, 1, true, 0x00, 6, "x"); /* never registered */
    j = last_record(sn);
    assert_null(jstr(j, "topic"));
    assert_string_equal(jstr(j, "topic_source"), "unknown");
    json_decref(j);
    assert_int_equal(fix_stats(sn)->topics_unknown, 1);
    fix_free(sn);
}

static void test_gateway_register_and_reject(void **state)
{
    (void)state;
    struct sn_fix *sn = new_flow(true, 0, 0);
    reg(sn, 1, false, 12, 11, "alerts/all"); /* the gateway names the id */
    assert_true(known(sn, 1, 12, "alerts/all"));
    id_ack(sn, 1, true, MQD_SN_REGACK, 12, 11, 0);
    assert_true(known(sn, 1, 12, "alerts/all"));

    reg(sn, 1, true, 0, 2, "rejected/topic");
    id_ack(sn, 1, false, MQD_SN_REGACK, 7, 2, MQD_SN_RC_CONGESTION);
    assert_false(known(sn, 1, 7, NULL));
    /* A REGACK answering no REGISTER teaches nothing. */
    id_ack(sn, 1, false, MQD_SN_REGACK, 8, 99, 0);
    assert_false(known(sn, 1, 8, NULL));
    fix_free(sn);
}

static void test_subscribe_suback(void **state)
{
    (void)state;
    struct sn_fix *sn = new_flow(true, 0, 0);
    const uint8_t sub[] = {0x20, 0x00, 0x04, 'c', 'm', 'd', '/', '1'};
    assert_true(send_msg(sn, 1, true, MQD_SN_SUBSCRIBE, sub, sizeof sub));
    id_ack(sn, 1, false, MQD_SN_SUBACK, 9, 4, 0);
    assert_true(known(sn, 1, 9, "cmd/1"));
    publish(sn, 1, false, 0x20, 9, "on");
    json_t *j = last_record(sn);
    assert_string_equal(jstr(j, "topic"), "cmd/1");
    assert_string_equal(jstr(j, "direction"), "to_client");
    json_decref(j);

    /* A wildcard subscription gets id 0x0000: nothing to learn. */
    const uint8_t wild[] = {0x20, 0x00, 0x05, 'c', 'm', 'd', '/', '#'};
    assert_true(send_msg(sn, 1, true, MQD_SN_SUBSCRIBE, wild, sizeof wild));
    id_ack(sn, 1, false, MQD_SN_SUBACK, 0, 5, 0);
    assert_int_equal(sn_client_topic_count(client_of(sn, 1)), 1);
    fix_free(sn);
}

static void test_short_and_predefined(void **state)
{
    (void)state;
    struct sn_fix *sn = new_flow(true, 0, 0);
    publish(sn, 1, true, 0x02, (uint16_t)('a' << 8 | 'b'), "s");
    json_t *j = last_record(sn);
    assert_string_equal(jstr(j, "topic"), "ab");
    assert_string_equal(jstr(j, "topic_source"), "short");
    assert_string_equal(jstr(j, "topic_id_type"), "short");
    json_decref(j);
    publish(sn, 1, true, 0x61, 7, "p"); /* QoS -1, predefined */
    j = last_record(sn);
    assert_null(jstr(j, "topic"));
    assert_string_equal(jstr(j, "topic_source"), "predefined");
    assert_string_equal(jstr(j, "topic_id_type"), "predefined");
    assert_int_equal(json_integer_value(json_object_get(j, "qos")), -1);
    json_decref(j);
    fix_free(sn);
}

static void test_clients_are_separate(void **state)
{
    (void)state;
    struct sn_fix *sn = new_flow(true, 0, 0);
    reg(sn, 1, false, 3, 1, "one");
    reg(sn, 2, false, 3, 1, "two");
    assert_true(known(sn, 1, 3, "one"));
    assert_true(known(sn, 2, 3, "two"));
    assert_int_not_equal(sn_client_number(client_of(sn, 1)),
                         sn_client_number(client_of(sn, 2)));
    fix_free(sn);
}

static void test_topic_lru(void **state)
{
    (void)state;
    struct sn_fix *sn = new_flow(false, 0, 4);
    char name[16];
    for (uint16_t id = 1; id <= 4; id++) {
        snprintf(name, sizeof name, "t/%u", id);
        reg(sn, 1, false, id, id, name);
    }
    assert_true(known(sn, 1, 1, "t/1")); /* 1 is now the most recently used */
    reg(sn, 1, false, 5, 5, "t/5");      /* evicts 2, the least recently used */
    assert_int_equal(sn_client_topic_count(client_of(sn, 1)), 4);
    assert_false(known(sn, 1, 2, NULL));
    assert_true(known(sn, 1, 1, "t/1"));
    assert_true(known(sn, 1, 5, "t/5"));
    assert_int_equal(fix_stats(sn)->topics_evicted, 1);
    /* Registering an id again replaces its name. */
    reg(sn, 1, false, 5, 6, "t/five");
    assert_true(known(sn, 1, 5, "t/five"));
    fix_free(sn);
}

static void test_client_lru(void **state)
{
    (void)state;
    struct sn_fix *sn = new_flow(false, 3, 0);
    for (uint8_t cl = 1; cl <= 3; cl++)
        reg(sn, cl, false, 1, 1, "x");
    reg(sn, 1, false, 2, 2, "y"); /* client 1 used again: 2 is the oldest */
    reg(sn, 4, false, 1, 1, "z"); /* evicts client 2 */
    assert_int_equal(fix_stats(sn)->clients_evicted, 1);
    assert_true(known(sn, 1, 1, "x"));
    assert_true(known(sn, 3, 1, "x"));
    assert_true(known(sn, 4, 1, "z"));
    fix_free(sn);
}

/* The pipeline's part: options as options_parse leaves them (zero), and
 * a JSON printer in memory. */
struct sn_pipe {
    struct options o;
    struct output *out;
    struct pipeline_sn *s;
    uint64_t frame;
};

static void pipe_open(struct sn_pipe *p)
{
    struct output_opts oo = {.in_memory = true};
    p->out = output_open(OUTPUT_JSON, &oo);
    assert_non_null(p->out);
    p->s = pipeline_sn_new(&p->o, p->out);
    assert_non_null(p->s);
}

static void pipe_close(struct sn_pipe *p)
{
    pipeline_sn_free(p->s);
    (void)output_close(p->out);
}

/* Lines printed so far. */
static size_t pipe_lines(struct sn_pipe *p)
{
    struct obuf *b = output_buffer(p->out);
    size_t n = 0;
    for (size_t i = 0; i < obuf_len(b); i++)
        n += obuf_data(b)[i] == '\n';
    return n;
}

/* Client 1 (10.0.0.1:40001) to or from the gateway 10.0.0.254:1884: true
 * when the pipeline selects the message. */
static bool pipe_msg(struct sn_pipe *p, bool up, uint8_t type,
                     const uint8_t *body, size_t n)
{
    uint8_t buf[300];
    size_t len = datagram(buf, type, body, n);
    struct pkt_endpoint c = ep4(1, 40001), g = ep4(254, 1884);
    struct pkt_info pkt = {++p->frame, 0};
    return up ? pipeline_sn_udp(p->s, &c, &g, buf, len, len, &pkt, true)
              : pipeline_sn_udp(p->s, &g, &c, buf, len, len, &pkt, true);
}

static void test_ports_and_cut(void **state)
{
    (void)state;
    struct sn_pipe p;
    memset(&p, 0, sizeof p);
    p.o.sn_ports[0] = 10000;
    p.o.nsn_ports = 1;
    pipe_open(&p);
    const uint8_t ping[] = {0x02, 0x16};
    struct pkt_endpoint c = ep4(1, 5000), g = ep4(254, 10000), o = ep4(254, 1884);
    struct pkt_info pkt = {1, 0};
    assert_false(pipeline_sn_udp(p.s, &c, &o, ping, 2, 2, &pkt, true));
    assert_int_equal(pipeline_sn_stats(p.s)->datagrams, 0);
    assert_true(pipeline_sn_udp(p.s, &c, &g, ping, 2, 2, &pkt, true));
    /* Cut by the snapshot length: counted, not decoded, an event. */
    assert_false(pipeline_sn_udp(p.s, &c, &g, ping, 2, 10, &pkt, true));
    assert_int_equal(pipeline_sn_stats(p.s)->cut, 1);
    /* Too short for a header. */
    assert_false(pipeline_sn_udp(p.s, &c, &g, ping, 1, 1, &pkt, true));
    assert_int_equal(pipeline_sn_stats(p.s)->undecodable, 1);
    assert_int_equal(pipeline_sn_stats(p.s)->messages, 1);
    assert_int_equal(pipe_lines(&p), 3);
    pipe_close(&p);

    memset(&p, 0, sizeof p); /* defaults: 1883 and 1884 */
    pipe_open(&p);
    const uint8_t none[] = {0};
    assert_true(pipe_msg(&p, true, MQD_SN_PINGREQ, none, 0));
    c = ep4(1, 5000), g = ep4(254, 1883);
    assert_true(pipeline_sn_udp(p.s, &c, &g, ping, 2, 2, &pkt, true));
    pipe_close(&p);
}

/* --type, --topic, --client: a message the selection leaves out is
 * neither printed nor counted for -c, but still learned from. */
static void test_selection(void **state)
{
    (void)state;
    const uint8_t connect[] = {0x04, 0x01, 0x00, 0x3c, 's', '-', '1'};
    const uint8_t regist[] = {0x00, 0x05, 0x00, 0x01, 'a', '/', 'b'};
    const uint8_t pub5[] = {0x00, 0x00, 0x05, 0x00, 0x00, 'x'};
    const uint8_t pub6[] = {0x00, 0x00, 0x06, 0x00, 0x00, 'y'};
    const uint8_t sub[] = {0x00, 0x00, 0x02, 'a', '/', '+'};
    const uint8_t none[] = {0};
    struct sn_pipe p;

    memset(&p, 0, sizeof p);
    p.o.type_mask = (uint16_t)(1u << 3 | 1u << 14); /* PUBLISH, DISCONNECT */
    pipe_open(&p);
    assert_false(pipe_msg(&p, true, MQD_SN_SEARCHGW, (const uint8_t[]){1}, 1));
    assert_false(pipe_msg(&p, false, MQD_SN_REGISTER, regist, sizeof regist));
    assert_true(pipe_msg(&p, true, MQD_SN_PUBLISH, pub5, sizeof pub5));
    assert_true(pipe_msg(&p, true, MQD_SN_DISCONNECT, none, 0));
    assert_false(pipe_msg(&p, true, MQD_SN_PINGREQ, none, 0));
    assert_int_equal(pipe_lines(&p), 2);
    pipe_close(&p);

    memset(&p, 0, sizeof p);
    assert_true(topic_sel_add(&p.o.topics, "a/#"));
    pipe_open(&p);
    assert_true(pipe_msg(&p, false, MQD_SN_REGISTER, regist, sizeof regist));
    assert_true(pipe_msg(&p, true, MQD_SN_PUBLISH, pub5, sizeof pub5));
    assert_false(pipe_msg(&p, true, MQD_SN_PUBLISH, pub6, sizeof pub6));
    assert_true(pipe_msg(&p, true, MQD_SN_SUBSCRIBE, sub, sizeof sub));
    assert_false(pipe_msg(&p, true, MQD_SN_PINGREQ, none, 0));
    assert_int_equal(pipe_lines(&p), 3);
    pipe_close(&p);

    memset(&p, 0, sizeof p);
    client_sel_add(&p.o.clients, "s-+");
    pipe_open(&p);
    assert_false(pipe_msg(&p, true, MQD_SN_PINGREQ, none, 0)); /* not known yet */
    assert_true(pipe_msg(&p, true, MQD_SN_CONNECT, connect, sizeof connect));
    assert_true(pipe_msg(&p, true, MQD_SN_PINGREQ, none, 0));
    struct pkt_endpoint other = ep4(2, 40002), g = ep4(254, 1884);
    uint8_t buf[8];
    size_t len = datagram(buf, MQD_SN_PINGREQ, none, 0);
    struct pkt_info pkt = {99, 0};
    assert_false(pipeline_sn_udp(p.s, &other, &g, buf, len, len, &pkt, true));
    assert_int_equal(pipe_lines(&p), 2);
    pipe_close(&p);
}

static void test_text_record(void **state)
{
    (void)state;
    struct sn_fix *sn = new_flow(false, 0, 0);
    reg(sn, 1, false, 5, 1, "a/b");
    publish(sn, 1, true, 0x20, 5, "hi");
    size_t len;
    const char *out = fix_output(sn, &len);
    char *text = malloc(len + 1);
    memcpy(text, out, len);
    text[len] = '\0';
    assert_non_null(strstr(text, "sn1.2 PUBLISH qos=1 id=0 topic_id=5 topic=\"a/b\" "
                                 "payload=2B \"hi\""));
    assert_non_null(strstr(text, "  0003: 00 05"));
    assert_non_null(strstr(text, "TopicId 5 = \"a/b\" (registered)"));
    assert_null(strstr(text, "violation"));
    free(text);
    fix_free(sn);
}

/* The parallel formatter records an MQTT-SN message (datagram, direction,
 * topic view) and parses it again on a formatting thread: what it writes
 * is what the printer alone writes, in text -V and in JSON, with the
 * registered names whose memory the registry has moved on from. */
static void run_script(struct sn_fix *sn)
{
    reg(sn, 1, false, 5, 1, "a/b");
    for (int i = 0; i < 200; i++) {
        char data[32];
        snprintf(data, sizeof data, "payload %d \xff", i);
        publish(sn, 1, true, 0x20, 5, data);
        publish(sn, 2, true, 0x02, (uint16_t)('x' << 8 | 'y'), "short");
        reg(sn, 1, false, 5, (uint16_t)i, i % 2 ? "a/b" : "c/d");
    }
}

static void test_parallel_same(void **state)
{
    (void)state;
    for (int json = 0; json < 2; json++) {
        struct sn_fix *one = new_flow(json, 0, 0);
        run_script(one);
        size_t want_len;
        const char *want = fix_output(one, &want_len);

        char *mem = NULL;
        size_t memlen = 0;
        FILE *fp = open_memstream(&mem, &memlen);
        assert_non_null(fp);
        struct sn_fix *par = new_flow(json, 0, 0);
        (void)output_close(par->out);
        struct output_opts oo = {.verbose = true, .out = fp};
        par->out = out_parallel_open(json ? OUTPUT_JSON : OUTPUT_TEXT, &oo, 4);
        assert_non_null(par->out);
        run_script(par);
        assert_int_equal(output_flush(par->out), 0);
        assert_int_equal(fflush(fp), 0);
        assert_int_equal(memlen, want_len);
        assert_memory_equal(mem, want, want_len);
        fix_free(par);
        fclose(fp);
        free(mem);
        fix_free(one);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_register),
        cmocka_unit_test(test_gateway_register_and_reject),
        cmocka_unit_test(test_subscribe_suback),
        cmocka_unit_test(test_short_and_predefined),
        cmocka_unit_test(test_clients_are_separate),
        cmocka_unit_test(test_topic_lru),
        cmocka_unit_test(test_client_lru),
        cmocka_unit_test(test_ports_and_cut),
        cmocka_unit_test(test_text_record),
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_parallel_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
