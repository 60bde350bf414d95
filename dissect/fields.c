/* The field readers every packet parser shares: integers, binary data and
 * UTF-8 strings read through the cursor, with the checks that belong to the
 * field alone (MQTT 5.0 s1.5, 3.1.1 s1.5). */
#include "fields.h"

#include "mqttdissect/names.h"
#include "mqttdissect/utf8.h"

void mqd_span_rest(mqd_frame *f, mqd_cursor *c, uint16_t rule)
{
    mqd_violation_add(f, rule, c->pos, mqd_cursor_left(c));
    c->pos = c->end;
}

/* Common tail of the readers: nothing left is ABSENT, too little is CUT. */
static int read_failed(mqd_frame *f, mqd_cursor *c)
{
    if (mqd_cursor_left(c) == 0)
        return MQD_READ_ABSENT;
    mqd_span_rest(f, c, MQD_R_FIELD_TRUNCATED);
    return MQD_READ_CUT;
}

int mqd_read_u8(mqd_frame *f, mqd_cursor *c, mqd_num *out)
{
    return mqd_get_num8(c, out) ? MQD_READ_OK : read_failed(f, c);
}

int mqd_read_u16(mqd_frame *f, mqd_cursor *c, mqd_num *out)
{
    return mqd_get_num16(c, out) ? MQD_READ_OK : read_failed(f, c);
}

int mqd_read_binary(mqd_frame *f, mqd_cursor *c, mqd_str *out)
{
    return mqd_get_str(c, out) ? MQD_READ_OK : read_failed(f, c);
}

int mqd_read_utf8(mqd_frame *f, mqd_cursor *c, mqd_str *out)
{
    int st = mqd_read_binary(f, c, out);
    if (st == MQD_READ_OK)
        mqd_check_utf8(f, out);
    return st;
}

bool mqd_required(mqd_frame *f, const mqd_cursor *c, int read_status)
{
    if (read_status == MQD_READ_ABSENT)
        mqd_violation_add(f, MQD_R_FIELD_TRUNCATED, c->pos, 0);
    return read_status == MQD_READ_OK;
}

/* MQTT 5.0 s1.5.4 (3.1.1 s1.5.3): well-formed, no surrogates, no U+0000;
 * control characters and non-characters are only discouraged. */
void mqd_check_utf8(mqd_frame *f, const mqd_str *s)
{
    size_t bad = 0;
    int st = mqd_utf8_check(s->data, s->len, &bad);
    uint16_t rule;
    switch (st) {
    case MQD_UTF8_OK:
        return;
    case MQD_UTF8_SURROGATE:
        rule = MQD_R_UTF8_SURROGATE;
        break;
    case MQD_UTF8_NUL:
        rule = MQD_R_UTF8_NUL;
        break;
    case MQD_UTF8_DISCOURAGED:
        rule = MQD_R_UTF8_DISCOURAGED;
        break;
    default:
        rule = MQD_R_UTF8_ILL_FORMED;
        break;
    }
    if (bad > s->len)
        bad = s->len;
    mqd_violation_add(f, rule, s->off + 2u + (uint32_t)bad, s->off);
}

void mqd_check_reason(mqd_frame *f, const mqd_num *code, uint16_t rule)
{
    uint8_t v = (uint8_t)code->value;
    if (!mqd_reason_valid(f->type, f->version, v))
        mqd_violation_add(f, rule, code->off, v);
}
