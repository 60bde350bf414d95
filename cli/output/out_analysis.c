/* Printing what the connection analysis added to a message (reply_to,
 * latency_us, flow_start, effective_topic, granted filters), from the
 * record alone (record.h). See out_analysis.h. */
#include "output/out_analysis.h"

#include "mqttdissect/names.h"
#include "output/out_text.h"

/* The reason code for the i-th filter of a SUBACK (s3.9.3). */
static bool suback_code(const mqd_frame *f, uint32_t i, uint8_t *code)
{
    const uint8_t *codes;
    size_t n;
    if (!f->list.present || !mqd_frame_run(f, f->list.off, f->list.len, &codes, &n) || i >= n)
        return false;
    *code = codes[i];
    return true;
}

void out_analysis_json(struct json_writer *w, const struct msg_meta *m,
                        const mqd_frame *f)
{
    const struct msg_analysis *an = &m->an;
    if (an->reply_to) {
        jw_kv_u64(w, "reply_to", an->reply_to);
        jw_kv_i64(w, "latency_us", an->latency_us);
    }
    if (an->flow_start) {
        jw_kv_u64(w, "flow_start", an->flow_start);
        jw_kv_i64(w, "flow_latency_us", an->flow_latency_us);
    }
    if (an->has_effective_topic) {
        jw_kv_strn(w, "effective_topic", an->effective_topic, an->effective_topic_len);
        jw_kv_bool(w, "topic_from_alias", an->topic_from_alias);
    }
    if (!an->granted)
        return;
    jw_key(w, "granted");
    jw_array_begin(w);
    uint32_t pos = 0, i = 0;
    const uint8_t *s;
    uint16_t len;
    for (; msg_granted_next(an, &pos, &s, &len); i++) {
        uint8_t code;
        jw_object_begin(w);
        jw_kv_strn(w, "topic", s, len);
        if (suback_code(f, i, &code)) {
            const char *name = mqd_reason_name(f->type, f->version, code);
            jw_kv_u64(w, "code", code);
            if (name)
                jw_kv_str(w, "reason", name);
            else
                jw_kv_null(w, "reason");
        }
        jw_object_end(w);
    }
    jw_array_end(w);
}

void out_analysis_text(struct obuf *b, const struct msg_meta *m, const mqd_frame *f)
{
    const struct msg_analysis *an = &m->an;
    if (an->topic_from_alias) {
        obuf_puts(b, " alias_topic=");
        text_quoted(b, an->effective_topic, an->effective_topic_len, SUMMARY_STR_LIMIT);
    }
    if (an->granted) {
        uint32_t pos = 0, i = 0;
        const uint8_t *s;
        uint16_t len;
        obuf_puts(b, " granted=");
        for (; msg_granted_next(an, &pos, &s, &len); i++) {
            uint8_t code;
            if (i == SUMMARY_MAX_LIST) {
                obuf_puts(b, "," TEXT_ELLIPSIS);
                break;
            }
            if (i > 0)
                obuf_putc(b, ',');
            text_quoted(b, s, len, SUMMARY_STR_LIMIT);
            if (suback_code(f, i, &code)) {
                obuf_putc(b, ':');
                put_hex8(b, code);
            }
        }
    }
    if (an->reply_to) {
        obuf_puts(b, " reply_to=");
        obuf_u64(b, an->reply_to);
        obuf_puts(b, " latency_us=");
        obuf_i64(b, an->latency_us);
    }
    if (an->flow_start) {
        obuf_puts(b, " flow_start=");
        obuf_u64(b, an->flow_start);
    }
}
