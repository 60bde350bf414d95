/* MQTT-SN over UDP (cli/sn_flow.c): the per-client topic registry (REGISTER
 * / REGACK both ways, SUBSCRIBE / SUBACK), its bounds (topics per client,
 * clients), the port choice, and the JSON and text records. */
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

#include "analysis/sn_flow.h"

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

static struct sn_flow *new_flow(bool json, size_t max_clients, size_t max_topics)
{
    struct sn_flow_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.json = json;
    cfg.to_memory = true;
    cfg.max_clients = max_clients;
    cfg.max_topics = max_topics;
    struct sn_flow *sn = sn_flow_new(&cfg);
    assert_non_null(sn);
    return sn;
}

/* A message (Length, MsgType, body) between client `cl` and the gateway at
 * 10.0.0.254:1884; `up`: client -> gateway. */
static bool send_msg(struct sn_flow *sn, uint8_t cl, bool up, uint8_t type,
                     const uint8_t *body, size_t n)
{
    static uint64_t frame;
    uint8_t buf[300];
    assert_true(n + 2 <= 255);
    buf[0] = (uint8_t)(n + 2);
    buf[1] = type;
    memcpy(buf + 2, body, n);
    struct pkt_endpoint c = ep4(cl, (uint16_t)(40000 + cl)), g = ep4(254, 1884);
    frame++;
    struct pkt_info pkt = {frame, (int64_t)frame * 1000};
    return up ? sn_flow_udp(sn, &c, &g, buf, n + 2, n + 2, &pkt, true)
              : sn_flow_udp(sn, &g, &c, buf, n + 2, n + 2, &pkt, true);
}

static void reg(struct sn_flow *sn, uint8_t cl, bool up, uint16_t id,
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

static void id_ack(struct sn_flow *sn, uint8_t cl, bool up, uint8_t type,
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

static void publish(struct sn_flow *sn, uint8_t cl, bool up, uint8_t flags,
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

static struct sn_client *client_of(struct sn_flow *sn, uint8_t cl)
{
    struct pkt_endpoint c = ep4(cl, (uint16_t)(40000 + cl)), g = ep4(254, 1884);
    return sn_flow_client(sn, &c, &g);
}

static bool known(struct sn_flow *sn, uint8_t cl, uint16_t id, const char *want)
{
    const uint8_t *name;
    size_t len;
    if (!sn_client_topic(client_of(sn, cl), id, &name, &len))
        return false;
    return want == NULL || (len == strlen(want) && memcmp(name, want, len) == 0);
}

/* The last JSON line written, parsed. */
static json_t *last_record(struct sn_flow *sn)
{
    size_t len;
    const char *out = sn_flow_output(sn, &len);
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
    struct sn_flow *sn = new_flow(true, 0, 0);
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
    assert_int_equal(sn_flow_stats(sn)->topics_unknown, 1);
    sn_flow_free(sn);
}

static void test_gateway_register_and_reject(void **state)
{
    (void)state;
    struct sn_flow *sn = new_flow(true, 0, 0);
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
    sn_flow_free(sn);
}

static void test_subscribe_suback(void **state)
{
    (void)state;
    struct sn_flow *sn = new_flow(true, 0, 0);
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
    sn_flow_free(sn);
}

static void test_short_and_predefined(void **state)
{
    (void)state;
    struct sn_flow *sn = new_flow(true, 0, 0);
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
    sn_flow_free(sn);
}

static void test_clients_are_separate(void **state)
{
    (void)state;
    struct sn_flow *sn = new_flow(true, 0, 0);
    reg(sn, 1, false, 3, 1, "one");
    reg(sn, 2, false, 3, 1, "two");
    assert_true(known(sn, 1, 3, "one"));
    assert_true(known(sn, 2, 3, "two"));
    assert_int_not_equal(sn_client_number(client_of(sn, 1)),
                         sn_client_number(client_of(sn, 2)));
    sn_flow_free(sn);
}

static void test_topic_lru(void **state)
{
    (void)state;
    struct sn_flow *sn = new_flow(false, 0, 4);
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
    assert_int_equal(sn_flow_stats(sn)->topics_evicted, 1);
    /* Registering an id again replaces its name. */
    reg(sn, 1, false, 5, 6, "t/five");
    assert_true(known(sn, 1, 5, "t/five"));
    sn_flow_free(sn);
}

static void test_client_lru(void **state)
{
    (void)state;
    struct sn_flow *sn = new_flow(false, 3, 0);
    for (uint8_t cl = 1; cl <= 3; cl++)
        reg(sn, cl, false, 1, 1, "x");
    reg(sn, 1, false, 2, 2, "y"); /* client 1 used again: 2 is the oldest */
    reg(sn, 4, false, 1, 1, "z"); /* evicts client 2 */
    assert_int_equal(sn_flow_stats(sn)->clients_evicted, 1);
    assert_true(known(sn, 1, 1, "x"));
    assert_true(known(sn, 3, 1, "x"));
    assert_true(known(sn, 4, 1, "z"));
    sn_flow_free(sn);
}

static void test_ports_and_cut(void **state)
{
    (void)state;
    struct sn_flow_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.to_memory = true;
    cfg.ports[0] = 10000;
    cfg.nports = 1;
    struct sn_flow *sn = sn_flow_new(&cfg);
    assert_non_null(sn);
    assert_true(sn_flow_is_port(sn, 10000));
    assert_false(sn_flow_is_port(sn, 1884));
    const uint8_t ping[] = {0x02, 0x16};
    struct pkt_endpoint c = ep4(1, 5000), g = ep4(254, 10000), o = ep4(254, 1884);
    struct pkt_info pkt = {1, 0};
    assert_false(sn_flow_udp(sn, &c, &o, ping, 2, 2, &pkt, true));
    assert_int_equal(sn_flow_stats(sn)->datagrams, 0);
    assert_true(sn_flow_udp(sn, &c, &g, ping, 2, 2, &pkt, true));
    /* Cut by the snapshot length: counted, not decoded. */
    assert_false(sn_flow_udp(sn, &c, &g, ping, 2, 10, &pkt, true));
    assert_int_equal(sn_flow_stats(sn)->cut, 1);
    /* Too short for a header. */
    assert_false(sn_flow_udp(sn, &c, &g, ping, 1, 1, &pkt, true));
    assert_int_equal(sn_flow_stats(sn)->undecodable, 1);
    assert_int_equal(sn_flow_stats(sn)->messages, 1);
    sn_flow_free(sn);

    memset(&cfg, 0, sizeof cfg); /* defaults: 1883 and 1884 */
    cfg.to_memory = true;
    sn = sn_flow_new(&cfg);
    assert_true(sn_flow_is_port(sn, 1883));
    assert_true(sn_flow_is_port(sn, 1884));
    sn_flow_free(sn);
}

static void test_text_record(void **state)
{
    (void)state;
    struct sn_flow_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.to_memory = true;
    cfg.print.verbose = true;
    struct sn_flow *sn = sn_flow_new(&cfg);
    reg(sn, 1, false, 5, 1, "a/b");
    publish(sn, 1, true, 0x20, 5, "hi");
    size_t len;
    const char *out = sn_flow_output(sn, &len);
    char *text = malloc(len + 1);
    memcpy(text, out, len);
    text[len] = '\0';
    assert_non_null(strstr(text, "sn1.2 PUBLISH qos=1 id=0 topic_id=5 topic=\"a/b\" "
                                 "payload=2B \"hi\""));
    assert_non_null(strstr(text, "  0003: 00 05"));
    assert_non_null(strstr(text, "TopicId 5 = \"a/b\" (registered)"));
    assert_null(strstr(text, "violation"));
    free(text);
    sn_flow_free(sn);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
