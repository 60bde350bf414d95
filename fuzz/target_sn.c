/* Fuzz target "sn": the MQTT-SN 1.2 datagram parser (sn.h).
 *
 * Input: one datagram, handed to mqd_sn_parse as it is. On MQD_OK every
 * field lies inside the datagram and points at base + its offset, the
 * message lies inside the datagram (after the forwarder header when
 * encapsulated), violations are in the catalogue, names are known; parsing
 * an exact-size copy agrees. MQD_ERROR: err_off within the datagram.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mqttdissect/mqd.h"
#include "mqttdissect/sn.h"
#include "targets.h"

static void sn_check_num(const mqd_sn_msg *m, const mqd_num *n,
                         const char *what)
{
    if (!n->present)
        return;
    FUZZ_CHECK(n->len >= 1 && n->len <= 4, what);
    FUZZ_CHECK((uint64_t)n->off + n->len <= m->datagram_len, what);
}

static void sn_check_bytes(const mqd_sn_msg *m, const mqd_bytes *b,
                           const char *what)
{
    if (!b->present)
        return;
    FUZZ_CHECK((uint64_t)b->off + b->len <= m->datagram_len, what);
    FUZZ_CHECK(b->len == 0 || b->data == m->base + b->off, what);
    const uint8_t *p;
    FUZZ_CHECK(mqd_sn_bytes(m, b->off, b->len, &p), what);
}

static void sn_check_msg(const uint8_t *buf, size_t len, const mqd_sn_msg *m)
{
    FUZZ_CHECK(m->base == buf && m->datagram_len == len, "datagram");
    FUZZ_CHECK((uint64_t)m->off + m->size <= len, "message past the datagram");
    if (m->fwd.present) {
        sn_check_num(m, &m->fwd.length, "forwarder length");
        sn_check_num(m, &m->fwd.msg_type, "forwarder type");
        sn_check_num(m, &m->fwd.ctrl, "forwarder ctrl");
        sn_check_bytes(m, &m->fwd.node_id, "forwarder node id");
        FUZZ_CHECK(m->fwd.radius <= 3, "radius");
    }
    sn_check_num(m, &m->length, "length");
    sn_check_num(m, &m->msg_type, "msg type");
    sn_check_num(m, &m->flags.byte, "flags");
    FUZZ_CHECK(m->flags.qos >= -1 && m->flags.qos <= 2, "qos");
    FUZZ_CHECK(m->flags.topic_id_type <= 3, "topic id type");
    sn_check_num(m, &m->gw_id, "gw id");
    sn_check_num(m, &m->duration, "duration");
    sn_check_num(m, &m->radius, "radius");
    sn_check_num(m, &m->protocol_id, "protocol id");
    sn_check_num(m, &m->topic_id, "topic id");
    sn_check_num(m, &m->msg_id, "msg id");
    sn_check_num(m, &m->return_code, "return code");
    sn_check_bytes(m, &m->gw_addr, "gw addr");
    sn_check_bytes(m, &m->client_id, "client id");
    sn_check_bytes(m, &m->will_topic, "will topic");
    sn_check_bytes(m, &m->will_msg, "will msg");
    sn_check_bytes(m, &m->topic_name, "topic name");
    sn_check_bytes(m, &m->short_topic, "short topic");
    sn_check_bytes(m, &m->data, "data");

    FUZZ_CHECK(m->nviolations <= MQD_MAX_VIOLATIONS, "violation count");
    for (uint16_t i = 0; i < m->nviolations; i++) {
        FUZZ_CHECK(m->violations[i].rule < MQD_RULE_COUNT, "violation rule");
        FUZZ_CHECK(mqd_rule_get(m->violations[i].rule) != NULL, "rule info");
        FUZZ_CHECK(m->violations[i].off <= len, "violation offset");
    }
    FUZZ_CHECK(mqd_sn_type_name(m->type) != NULL, "type name");
    (void)mqd_sn_type_known(m->type);
    FUZZ_CHECK(mqd_sn_topic_id_type_name(m->flags.topic_id_type) != NULL,
               "topic id type name");
    if (m->return_code.present)
        (void)mqd_sn_return_code_name((uint8_t)m->return_code.value);
}

void fuzz_sn(const uint8_t *data, size_t size)
{
    static mqd_sn_msg m, again;
    mqd_result r = mqd_sn_parse(data, size, &m);
    if (r.status == MQD_ERROR) {
        FUZZ_CHECK(r.err_off <= size, "error offset past the datagram");
        FUZZ_CHECK(r.err_rule < MQD_RULE_COUNT, "error rule");
        return;
    }
    FUZZ_CHECK(r.status == MQD_OK, "mqd_sn_parse: neither OK nor ERROR");
    sn_check_msg(data, size, &m);

    /* The same datagram from an exact-size allocation: same verdict. */
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_CHECK(copy != NULL, "malloc");
    if (size)
        memcpy(copy, data, size);
    mqd_result r2 = mqd_sn_parse(copy, size, &again);
    FUZZ_CHECK(r2.status == r.status && again.size == m.size &&
                   again.nviolations == m.nviolations,
               "reparse differs");
    free(copy);
}
