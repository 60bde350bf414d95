/* Payload display: text, hex, or structured JSON. A payload is shown as
 * JSON when json_embed accepts it; the JSON output then copies it in (no
 * document, no allocation), the text -V display pretty-prints it from the
 * same checked text, token by token. */
#include "output/payload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mqttdissect/utf8.h"
#include "util/json_embed.h"
#include "mqttdissect/props.h"
#include "output/text_limits.h"
#include "util/text_escape.h"
#include "util/topic_match.h"
#include "output/payload_sparkplug.h"
#include "decode/inflate.h"
#include "decode/cbor_json.h"
#include "decode/msgpack_json.h"

bool payload_mode_parse(const char *s, uint8_t *mode)
{
    static const char *const names[] = {"auto", "none", "text", "hex"};
    for (uint8_t i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *mode = i;
            return true;
        }
    }
    return false;
}

bool payload_decode_format_parse(const char *s, size_t n, uint8_t *mode)
{
    static const struct {
        const char *name;
        uint8_t mode;
    } formats[] = {
        {"auto", PAYLOAD_AUTO}, {"none", PAYLOAD_NONE}, {"text", PAYLOAD_TEXT},
        {"hex", PAYLOAD_HEX}, {"json", PAYLOAD_JSON}, {"sparkplug", PAYLOAD_SPARKPLUG},
        {"gzip+json", PAYLOAD_GZIP_JSON}, {"cbor", PAYLOAD_CBOR},
        {"msgpack", PAYLOAD_MSGPACK},
    };
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        if (strlen(formats[i].name) == n && memcmp(s, formats[i].name, n) == 0) {
            *mode = formats[i].mode;
            return true;
        }
    }
    return false;
}

bool payload_decode_rule_split(const char *arg, size_t *filter_len, uint8_t *mode,
                               const char **why)
{
    const char *eq = strrchr(arg, '=');
    if (!eq) {
        *why = "wants FILTER=FORMAT";
        return false;
    }
    if (!payload_decode_format_parse(eq + 1, strlen(eq + 1), mode)) {
        *why = "FORMAT is one of auto, text, hex, json, cbor, msgpack, sparkplug, "
               "gzip+json, none";
        return false;
    }
    if (mqd_topic_filter_check((const uint8_t *)arg, (size_t)(eq - arg), MQD_V311, NULL) !=
        MQD_RULE_COUNT) {
        *why = "FILTER is not a valid MQTT topic filter";
        return false;
    }
    *filter_len = (size_t)(eq - arg);
    return true;
}

/* MQTT 5.0 s3.3.2.3.9: a UTF-8 string, its meaning left to the application;
 * a MIME type as RFC 2046 writes it, parameters after ';'. */
static bool content_type_is(const mqd_frame *f, const char *mime)
{
    mqd_prop pr;
    const uint8_t *data;
    size_t len;
    if (f->version != MQD_V5 || !f->props.present ||
        !mqd_prop_find(f, &f->props, MQD_P_CONTENT_TYPE, &pr) ||
        !mqd_frame_str(f, &pr.str, &data, &len))
        return false;
    size_t n = strlen(mime);
    if (len < n || strncasecmp((const char *)data, mime, n) != 0)
        return false;
    return len == n || data[n] == ';' || data[n] == ' ';
}

bool payload_content_type_json(const mqd_frame *f)
{
    return content_type_is(f, "application/json");
}

static bool looks_like_json(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '{' || c == '[';
    }
    return false;
}

/* What a printer lends the payload writers: the member-name table of the
 * JSON check, reused for every payload, and room for decoded strings and
 * number tokens when pretty-printing: never longer than the payload, and a
 * payload shown as JSON is at most PAYLOAD_JSON_MAX (taken the first time
 * it is needed). */
struct payload_scratch {
    struct json_embed embed;
    char *pretty;
    struct spb_decoder *spb; /* made the first time a payload needs it */
    struct obuf spb_json;    /* -V: the Sparkplug JSON before pretty-printing */
    bool spb_json_ready;
    struct inflater *inflate; /* gzip+json: made the first time it is needed */
    struct obuf cbor_json, cbor_tmp; /* CBOR as JSON; its indefinite strings */
    struct cbor_json *cbor;          /* the converter's working memory */
    bool cbor_ready;
    struct obuf msgpack_out;         /* MessagePack as JSON */
    struct msgpack_json *msgpack;    /* the reader's working memory */
    bool msgpack_ready;
};

struct payload_scratch *payload_scratch_new(void)
{
    return calloc(1, sizeof(struct payload_scratch));
}

void payload_scratch_free(struct payload_scratch *ps)
{
    if (!ps)
        return;
    free(ps->pretty);
    spb_decoder_free(ps->spb);
    inflater_free(ps->inflate);
    if (ps->cbor_ready) {
        cbor_json_free(ps->cbor);
        obuf_free(&ps->cbor_json);
        obuf_free(&ps->cbor_tmp);
    }
    if (ps->msgpack_ready) {
        msgpack_json_free(ps->msgpack);
        obuf_free(&ps->msgpack_out);
    }
    if (ps->spb_json_ready)
        obuf_free(&ps->spb_json);
    free(ps);
}

/* Whether the payload is shown as JSON: auto mode, not too large, declared
 * JSON (any value) or starting like an object or array, and accepted by
 * json_embed_check (*r: its result, for jw_json_embed). */
static bool payload_is_json_mode(uint8_t mode, const struct output_opts *o,
                                 struct payload_scratch *ps, const mqd_frame *f,
                                 const uint8_t *data, size_t len,
                                 struct json_embed_result *r)
{
    if ((mode != PAYLOAD_AUTO && mode != PAYLOAD_JSON) || len == 0 ||
        len > PAYLOAD_JSON_MAX || (o->max_payload != 0 && len > o->max_payload))
        return false;
    if (mode == PAYLOAD_AUTO && !payload_content_type_json(f) &&
        !looks_like_json(data, len))
        return false;
    return json_embed_check(&ps->embed, data, len, r);
}

static bool payload_is_json(const struct output_opts *o,
                            struct payload_scratch *ps, const mqd_frame *f,
                            const uint8_t *data, size_t len,
                            struct json_embed_result *r)
{
    return payload_is_json_mode(o->payload_mode, o, ps, f, data, len, r);
}

/* ---- the choice of a decoder ---- */

uint8_t payload_mode_for_topic(const struct output_opts *o, const uint8_t *topic,
                               size_t topic_len)
{
    for (size_t i = 0; i < o->ndecode_rules; i++) {
        const struct decode_rule *r = &o->decode_rules[i];
        if (topic_filter_match((const uint8_t *)r->filter, strlen(r->filter), topic,
                               topic_len))
            return r->mode;
    }
    if (o->payload_mode == PAYLOAD_AUTO && spb_topic_is_sparkplug(topic, topic_len))
        return PAYLOAD_SPARKPLUG;
    return o->payload_mode;
}

/* A payload that failed its decoder: text when UTF-8, else hex. */
static void view_fail(struct payload_view *v, const char *why)
{
    v->decode_error = why;
    v->mode = mqd_utf8_valid(v->data, v->len) ? PAYLOAD_TEXT : PAYLOAD_HEX;
}

static void view_sparkplug(struct payload_view *v, struct payload_scratch *ps,
                           const uint8_t *topic, size_t topic_len)
{
    v->topic_result = spb_topic_parse(topic, topic_len, &v->topic, &v->topic_error);
    if (v->topic_result == SPB_TOPIC_OK && v->topic.type == SPB_STATE) {
        v->mode = PAYLOAD_AUTO; /* 3.0: a JSON object, shown as JSON is */
        return;
    }
    if (!ps->spb)
        ps->spb = spb_decoder_new();
    enum spb_status st = ps->spb ? spb_decode(ps->spb, v->data, v->len, &v->spb)
                                 : SPB_ERR_NOMEM;
    if (st == SPB_OK)
        v->spb_decoded = true;
    else
        view_fail(v, spb_status_text(st));
}

/* gzip+json: decompressed (at most PAYLOAD_JSON_MAX bytes), then JSON. */
static void view_inflate(struct payload_view *v, struct payload_scratch *ps)
{
    const uint8_t *out;
    size_t n;
    struct json_embed_result r;
    if (!ps->inflate)
        ps->inflate = inflater_new(PAYLOAD_JSON_MAX);
    enum inflate_status st = ps->inflate ? inflater_run(ps->inflate, v->data, v->len, &out, &n)
                                         : INFLATE_NOMEM;
    if (st != INFLATE_OK)
        view_fail(v, inflate_status_text(st));
    else if (n == 0 || !json_embed_check(&ps->embed, out, n, &r))
        view_fail(v, "decompressed, but not JSON");
    else {
        v->inflated = out;
        v->inflated_len = n;
    }
}

/* CBOR: converted to JSON text in the scratch. */
static void view_cbor(struct payload_view *v, struct payload_scratch *ps)
{
    if (!ps->cbor_ready) {
        if (obuf_init(&ps->cbor_json, NULL, 0) != 0) {
            view_fail(v, "out of memory");
            return;
        }
        if (obuf_init(&ps->cbor_tmp, NULL, 0) != 0 || !(ps->cbor = cbor_json_new())) {
            obuf_free(&ps->cbor_json);
            obuf_free(&ps->cbor_tmp);
            view_fail(v, "out of memory");
            return;
        }
        ps->cbor_ready = true;
    }
    struct json_writer w;
    const char *why;
    obuf_truncate(&ps->cbor_json, 0);
    jw_init(&w, &ps->cbor_json);
    if (!cbor_to_json(ps->cbor, &w, &ps->cbor_tmp, v->data, v->len, &why)) {
        view_fail(v, why);
        return;
    }
    v->cbor_json = obuf_data(&ps->cbor_json);
    v->cbor_json_len = obuf_len(&ps->cbor_json);
}

/* MessagePack: converted to JSON text in the scratch. */
static void view_msgpack(struct payload_view *v, struct payload_scratch *ps)
{
    if (!ps->msgpack_ready) {
        if (obuf_init(&ps->msgpack_out, NULL, 0) != 0) {
            view_fail(v, "out of memory");
            return;
        }
        if (!(ps->msgpack = msgpack_json_new())) {
            obuf_free(&ps->msgpack_out);
            view_fail(v, "out of memory");
            return;
        }
        ps->msgpack_ready = true;
    }
    struct json_writer w;
    const char *why;
    obuf_truncate(&ps->msgpack_out, 0);
    jw_init(&w, &ps->msgpack_out);
    if (!msgpack_to_json(ps->msgpack, &w, v->data, v->len, &why)) {
        view_fail(v, why);
        return;
    }
    v->msgpack_json = obuf_data(&ps->msgpack_out);
    v->msgpack_json_len = obuf_len(&ps->msgpack_out);
}

void payload_view_init(struct payload_view *v, const struct output_opts *o,
                       struct payload_scratch *ps, const struct msg_meta *m,
                       const mqd_frame *f)
{
    memset(v, 0, sizeof *v);
    v->present = f->payload.present &&
                 mqd_frame_run(f, f->payload.off, f->payload.len, &v->data, &v->len);
    const uint8_t *topic = NULL;
    size_t topic_len = 0;
    if (m && m->an.has_effective_topic) {
        topic = m->an.effective_topic;
        topic_len = m->an.effective_topic_len;
    } else if (f->topic.present &&
               !mqd_frame_str(f, &f->topic, &topic, &topic_len)) {
        topic_len = 0;
    }
    if (!topic)
        topic = (const uint8_t *)"";
    v->chosen = v->mode = payload_mode_for_topic(o, topic, topic_len);
    if (v->chosen == PAYLOAD_AUTO && content_type_is(f, "application/cbor"))
        v->chosen = v->mode = PAYLOAD_CBOR;
    if (v->chosen == PAYLOAD_AUTO && (content_type_is(f, "application/msgpack") ||
                                      content_type_is(f, "application/x-msgpack")))
        v->chosen = v->mode = PAYLOAD_MSGPACK;
    if (v->chosen == PAYLOAD_CBOR && v->present && v->len > 0) {
        view_cbor(v, ps);
    } else if (v->chosen == PAYLOAD_MSGPACK && v->present && v->len > 0) {
        view_msgpack(v, ps);
    } else if (v->chosen == PAYLOAD_SPARKPLUG) {
        view_sparkplug(v, ps, topic, topic_len);
        if (m)
            v->spb_names = m->an.spb_names;
    } else if (v->chosen == PAYLOAD_GZIP_JSON && v->present && v->len > 0) {
        view_inflate(v, ps);
    } else if (v->chosen == PAYLOAD_JSON && v->present && v->len > 0) {
        struct json_embed_result r;
        if (!payload_is_json_mode(PAYLOAD_JSON, o, ps, f, v->data, v->len, &r))
            view_fail(v, v->len > PAYLOAD_JSON_MAX ? "too large to check as JSON" : "not JSON");
    }
    if (!v->present) {
        v->decode_error = NULL;
        v->spb_decoded = false;
    }
}

/* "%.17g" but the shortest of 15/16/17 digits that reads back the same. */
static size_t fmt_real(char *buf, size_t cap, double v)
{
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (n < 0)
        n = 0;
    /* never "inf" or "nan": json_embed_check refuses what overflows */
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ---- JSON output ---- */

/* "text" (cut at a character boundary) or "hex" of at most o->max_payload
 * bytes (0: all), then "truncated" and "shown" when cut. */
static void json_text_or_hex(struct json_writer *w, const struct output_opts *o,
                             const uint8_t *data, size_t len, bool text)
{
    size_t shown = len;
    if (o->max_payload != 0 && shown > o->max_payload)
        shown = o->max_payload;
    if (text) {
        if (shown < len) /* do not split a character where the output is cut */
            shown = mqd_utf8_valid_prefix(data, shown, NULL);
        jw_kv_strn(w, "text", data, shown);
    } else {
        jw_kv_hex(w, "hex", data, shown);
    }
    if (shown < len) {
        jw_kv_bool(w, "truncated", true);
        jw_kv_u64(w, "shown", shown);
    }
}

void payload_json_raw(struct json_writer *w, const struct output_opts *o,
                      const char *key, const uint8_t *data, size_t len)
{
    jw_key(w, key);
    jw_object_begin(w);
    jw_kv_u64(w, "length", len);
    json_text_or_hex(w, o, data, len, mqd_utf8_valid(data, len));
    jw_object_end(w);
}

/* The members of the payload object after "length", in `mode`. */
static void payload_json_body(struct json_writer *w, const struct output_opts *o,
                              struct payload_scratch *ps, const mqd_frame *f,
                              uint8_t mode, const uint8_t *data, size_t len)
{
    if (mode == PAYLOAD_NONE)
        return;
    struct json_embed_result r;
    if (payload_is_json_mode(mode, o, ps, f, data, len, &r)) {
        jw_key(w, "json");
        jw_json_embed(w, data, len, &r);
        return;
    }
    bool text = mode == PAYLOAD_TEXT ||
                ((mode == PAYLOAD_AUTO || mode == PAYLOAD_JSON) && mqd_utf8_valid(data, len));
    json_text_or_hex(w, o, data, len, text);
}

void payload_json_write(struct json_writer *w, const struct output_opts *o,
                        struct payload_scratch *ps, const mqd_frame *f, const char *key,
                        const uint8_t *data, size_t len)
{
    jw_key(w, key);
    jw_object_begin(w);
    jw_kv_u64(w, "length", len);
    payload_json_body(w, o, ps, f, o->payload_mode, data, len);
    jw_object_end(w);
}

void payload_json_write_view(struct json_writer *w, const struct output_opts *o,
                             struct payload_scratch *ps, const mqd_frame *f,
                             const struct payload_view *v)
{
    if (v->present) {
        jw_key(w, "payload");
        jw_object_begin(w);
        jw_kv_u64(w, "length", v->len);
        if (v->cbor_json) {
            jw_key(w, "cbor");
            jw_raw(w, v->cbor_json, v->cbor_json_len);
        } else if (v->msgpack_json) {
            jw_key(w, "msgpack");
            jw_raw(w, v->msgpack_json, v->msgpack_json_len);
        } else if (v->inflated) {
            struct json_embed_result r;
            jw_kv_u64(w, "decompressed_length", v->inflated_len);
            if (json_embed_check(&ps->embed, v->inflated, v->inflated_len, &r)) {
                jw_key(w, "json");
                jw_json_embed(w, v->inflated, v->inflated_len, &r);
            }
        } else if (!v->spb_decoded) { /* a decoded payload is shown as "sparkplug" */
            payload_json_body(w, o, ps, f, v->mode, v->data, v->len);
        }
        if (v->decode_error)
            jw_kv_str(w, "decode_error", v->decode_error);
        jw_object_end(w);
    }
    if (v->chosen == PAYLOAD_SPARKPLUG)
        spb_json_write(w, v);
}

/* ---- text ---- */

static void payload_text_summary_mode(struct obuf *b, const struct output_opts *o,
                                      uint8_t mode, const char *key,
                                      const uint8_t *data, size_t len, bool utf8)
{
    obuf_putc(b, ' ');
    obuf_puts(b, key);
    obuf_putc(b, '=');
    obuf_u64(b, len);
    obuf_putc(b, 'B');
    if (len == 0 || mode == PAYLOAD_NONE || mode == PAYLOAD_SPARKPLUG)
        return;
    obuf_putc(b, ' ');
    size_t text_limit = payload_text_limit(o, SUMMARY_PAYLOAD_LIMIT);
    size_t hex_limit = payload_text_limit(o, SUMMARY_HEX_LIMIT);
    if (mode == PAYLOAD_AUTO || mode == PAYLOAD_JSON) {
        if (!utf8) {
            text_hex(b, data, len, hex_limit);
            return;
        }
        if (len > text_limit) { /* do not cut a character in two */
            text_limit = mqd_utf8_valid_prefix(data, text_limit, NULL);
            if (text_limit == 0) { /* not even the first character */
                obuf_puts(b, "\"\"" TEXT_ELLIPSIS);
                return;
            }
        }
        text_quoted(b, data, len, text_limit);
        return;
    }
    if (mode == PAYLOAD_TEXT)
        text_quoted(b, data, len, text_limit); /* bad bytes appear as \xNN */
    else
        text_hex(b, data, len, hex_limit);
}

void payload_text_summary(struct obuf *b, const struct output_opts *o,
                          const char *key, const uint8_t *data, size_t len,
                          bool utf8)
{
    payload_text_summary_mode(b, o, o->payload_mode, key, data, len, utf8);
}

void payload_text_summary_view(struct obuf *b, const struct output_opts *o,
                               const struct payload_view *v, bool utf8)
{
    if (v->present) {
        uint8_t mode = v->spb_decoded ? PAYLOAD_SPARKPLUG : v->mode;
        payload_text_summary_mode(b, o, mode, "payload", v->data, v->len, utf8);
    }
    if (v->chosen == PAYLOAD_SPARKPLUG)
        spb_text_summary(b, v);
    if (v->inflated) {
        obuf_puts(b, " decompressed=");
        obuf_u64(b, v->inflated_len);
        obuf_putc(b, 'B');
    }
    if (v->decode_error) {
        obuf_puts(b, " decode_error=");
        text_quoted(b, (const uint8_t *)v->decode_error, strlen(v->decode_error), 0);
    }
}

static void indent(struct obuf *b, unsigned level)
{
    obuf_fill(b, ' ', 4 + 2 * (size_t)level);
}

/* ---- text -V: the checked payload pretty-printed, token by token ---- */

/* A number as a C string in the scratch area, for strtoll/strtod. */
static const char *number_cstr(char *scratch, const uint8_t *tok, size_t len)
{
    memcpy(scratch, tok, len);
    scratch[len] = '\0';
    return scratch;
}

/* The common numbers print as they are written, without a round trip
 * through strtod and snprintf; anything else returns false. A JSON number
 * token (RFC 8259 s6) without an exponent prints as:
 *  - an integer of at most 18 digits, but "-0": its own text (strtoll
 *    reads it exactly, and decimal prints it back the same);
 *  - a fraction with at most 15 significant digits and an integer part of
 *    at most 15 digits, not all zero, not below 0.0001: "%.15g" gives those
 *    digits back exactly (a double holds any 15-digit decimal) in fixed
 *    notation (its exponent is in [-4, 15)), without the trailing zeros
 *    of the fraction, and 15 digits read back, so fmt_real stops there. */
static bool pretty_number_as_written(struct obuf *b, const uint8_t *tok, size_t len)
{
    size_t i = tok[0] == '-', int_start = i;
    while (i < len && tok[i] >= '0' && tok[i] <= '9')
        i++;
    size_t int_digits = i - int_start;
    if (i == len) { /* an integer */
        if (int_digits > 18 || (int_digits == 1 && tok[int_start] == '0' && int_start))
            return false;
        obuf_write(b, tok, len);
        return true;
    }
    if (tok[i] != '.' || int_digits > 15)
        return false;
    size_t frac_start = ++i;
    while (i < len && tok[i] >= '0' && tok[i] <= '9')
        i++;
    if (i != len)
        return false; /* an exponent */
    size_t last = len; /* one past the last non-zero fraction digit */
    while (last > frac_start && tok[last - 1] == '0')
        last--;
    bool int_zero = int_digits == 1 && tok[int_start] == '0';
    size_t first = int_zero ? frac_start : int_start; /* first significant */
    while (int_zero && first < last && tok[first] == '0')
        first++;
    if (first == last)
        return false; /* zero: "0" or "-0" */
    if (int_zero && first - frac_start > 3)
        return false; /* below 0.0001: exponent notation */
    size_t sig = int_zero ? last - first : int_digits + (last - frac_start);
    if (sig > 15)
        return false;
    obuf_write(b, tok, last == frac_start ? frac_start - 1 : last);
    return true;
}

/* Numbers as their values print: integers in decimal (int64, as
 * json_embed_check made sure, or uint64 in the JSON the Sparkplug display
 * writes itself), others the shortest "%g" that reads back. */
static void pretty_number(struct obuf *b, char *scratch, const uint8_t *tok,
                          size_t len)
{
    char buf[40];
    if (pretty_number_as_written(b, tok, len))
        return;
    const char *c = number_cstr(scratch, tok, len);
    if (strpbrk(c, ".eE") == NULL) {
        /* beyond int64: the uint64 values of a decoded payload (Sparkplug) */
        if (c[0] != '-' && len > 18 && strtoull(c, NULL, 10) > INT64_MAX)
            obuf_u64(b, (uint64_t)strtoull(c, NULL, 10));
        else
            obuf_i64(b, (int64_t)strtoll(c, NULL, 10));
        return;
    }
    obuf_write(b, buf, fmt_real(buf, sizeof buf, strtod(c, NULL)));
}

/* A string's value quoted for a terminal (control and bidi characters
 * escaped). */
static void pretty_string(struct obuf *b, char *scratch, const uint8_t *body,
                          size_t len, bool escaped)
{
    if (!escaped) { /* nothing to unescape: most strings */
        text_quoted(b, body, len, 0);
        return;
    }
    size_t n = json_unescape(body, len, (uint8_t *)scratch);
    text_quoted(b, (const uint8_t *)scratch, n, 0);
}

/* Layout state: nesting level, and whether the last token opened a
 * container (so the next item is its first) or was a member name (so a
 * value follows on the same line). */
struct pretty {
    struct obuf *b;
    unsigned level;
    bool opened, after_name;
};

/* Before an item of a container (a member name, or an array element): the
 * line break, after a comma unless it is the first, and the indentation. */
static void pretty_item(struct pretty *pp)
{
    obuf_puts(pp->b, pp->opened ? "\n" : ",\n");
    pp->opened = false;
    indent(pp->b, pp->level);
}

static void pretty_before_value(struct pretty *pp)
{
    if (pp->after_name)
        pp->after_name = false;
    else if (pp->level > 0)
        pretty_item(pp);
}

static void pretty_close(struct pretty *pp, char c)
{
    pp->level--;
    if (!pp->opened) { /* not empty: the last item ends its line */
        obuf_putc(pp->b, '\n');
        indent(pp->b, pp->level);
    }
    pp->opened = false;
    obuf_putc(pp->b, c);
}

/* Two-space indentation under the 4-space margin; "key": value. */
void payload_json_pretty(struct obuf *b, struct payload_scratch *ps,
                         const uint8_t *data, size_t len)
{
    struct pretty pp = {b, 0, false, false};
    struct json_tokens t;
    struct json_token tok;
    if (len > PAYLOAD_JSON_MAX)
        return;
    if (!ps->pretty)
        ps->pretty = malloc(PAYLOAD_JSON_MAX + 1); /* once */
    char *scratch = ps->pretty;
    if (!scratch) {
        obuf_puts(b, "(out of memory)");
        return;
    }
    json_tokens_init(&t, data, len);
    while (json_tokens_next(&t, &tok) != JT_END) {
        const uint8_t *s = data + tok.off;
        switch (tok.kind) {
        case JT_OBJECT_BEGIN:
        case JT_ARRAY_BEGIN:
            pretty_before_value(&pp);
            obuf_putc(b, (char)*s);
            pp.level++;
            pp.opened = true;
            break;
        case JT_OBJECT_END:
        case JT_ARRAY_END:
            pretty_close(&pp, (char)*s);
            break;
        case JT_NAME:
            pretty_item(&pp);
            pretty_string(b, scratch, s, tok.len, tok.escaped);
            obuf_puts(b, ": ");
            pp.after_name = true;
            break;
        case JT_STRING:
            pretty_before_value(&pp);
            pretty_string(b, scratch, s, tok.len, tok.escaped);
            break;
        case JT_NUMBER:
            pretty_before_value(&pp);
            pretty_number(b, scratch, s, tok.len);
            break;
        default: /* true, false, null: as written */
            pretty_before_value(&pp);
            obuf_write(b, s, tok.len);
            break;
        }
    }
}

bool payload_text_json(const struct output_opts *o, struct payload_scratch *ps,
                       const mqd_frame *f)
{
    const uint8_t *data;
    size_t len;
    struct json_embed_result r;
    return f->type == MQD_PUBLISH && f->payload.present &&
           mqd_frame_run(f, f->payload.off, f->payload.len, &data, &len) &&
           payload_is_json(o, ps, f, data, len, &r);
}

bool payload_text_json_view(struct payload_scratch *ps, const struct output_opts *o,
                            const mqd_frame *f, const struct payload_view *v)
{
    struct json_embed_result r;
    return f->type == MQD_PUBLISH && v->present && !v->spb_decoded &&
           payload_is_json_mode(v->mode, o, ps, f, v->data, v->len, &r);
}

void payload_text_cbor(struct obuf *b, struct payload_scratch *ps,
                       const struct payload_view *v)
{
    if (!v->cbor_json)
        return;
    obuf_puts(b, "  payload as CBOR:\n");
    indent(b, 0);
    if (v->cbor_json_len > PAYLOAD_JSON_MAX)
        obuf_puts(b, "(too large to show as a tree)");
    else
        payload_json_pretty(b, ps, (const uint8_t *)v->cbor_json, v->cbor_json_len);
    obuf_putc(b, '\n');
}

void payload_text_msgpack(struct obuf *b, struct payload_scratch *ps,
                          const struct payload_view *v)
{
    if (!v->msgpack_json)
        return;
    obuf_puts(b, "  payload as MessagePack:\n");
    indent(b, 0);
    if (v->msgpack_json_len > PAYLOAD_JSON_MAX)
        obuf_puts(b, "(too large to show as a tree)");
    else
        payload_json_pretty(b, ps, (const uint8_t *)v->msgpack_json, v->msgpack_json_len);
    obuf_putc(b, '\n');
}

void payload_text_inflated(struct obuf *b, struct payload_scratch *ps,
                           const struct payload_view *v)
{
    if (!v->inflated)
        return;
    obuf_puts(b, "  payload as JSON (decompressed):\n");
    indent(b, 0);
    payload_json_pretty(b, ps, v->inflated, v->inflated_len);
    obuf_putc(b, '\n');
}

void payload_text_sparkplug(struct obuf *b, struct payload_scratch *ps,
                            const struct payload_view *v)
{
    if (!v->spb_decoded)
        return;
    if (!ps->spb_json_ready) {
        if (obuf_init(&ps->spb_json, NULL, 0) != 0)
            return;
        ps->spb_json_ready = true;
    }
    struct json_writer w;
    obuf_truncate(&ps->spb_json, 0);
    jw_init(&w, &ps->spb_json);
    spb_json_payload(&w, v);
    size_t n = obuf_len(&ps->spb_json);
    obuf_puts(b, "  payload as Sparkplug B:\n");
    indent(b, 0);
    if (n > PAYLOAD_JSON_MAX)
        obuf_puts(b, "(too large to show as a tree)");
    else
        payload_json_pretty(b, ps, (const uint8_t *)obuf_data(&ps->spb_json), n);
    obuf_putc(b, '\n');
}

void payload_text_pretty(struct obuf *b, struct payload_scratch *ps,
                         const mqd_frame *f)
{
    const uint8_t *data;
    size_t len;
    if (!mqd_frame_run(f, f->payload.off, f->payload.len, &data, &len))
        return;
    obuf_puts(b, "  payload as JSON:\n");
    indent(b, 0);
    payload_json_pretty(b, ps, data, len);
    obuf_putc(b, '\n');
}
