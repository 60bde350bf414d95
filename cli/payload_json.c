/* Payload display: text, hex, or structured JSON parsed with jansson. */
#include "payload_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "mqttdissect/props.h"
#include "out_text.h"

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

/* MQTT 5.0 s3.3.2.3.9: a UTF-8 string, its meaning left to the application;
 * a MIME type as RFC 2046 writes it, parameters after ';'. */
bool payload_content_type_json(const mqd_frame *f)
{
    mqd_prop pr;
    const uint8_t *data;
    size_t len;
    if (f->version != MQD_V5 || !f->props.present ||
        !mqd_prop_find(f, &f->props, MQD_P_CONTENT_TYPE, &pr) ||
        !frame_str(f, &pr.str, &data, &len))
        return false;
    static const char mime[] = "application/json";
    size_t n = sizeof mime - 1;
    if (len < n || strncasecmp((const char *)data, mime, n) != 0)
        return false;
    return len == n || data[n] == ';' || data[n] == ' ';
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

/* ---- jansson's memory while a payload is parsed and printed ----
 * jansson allocates for every value. Between payload_parse_begin and
 * payload_parse_end it takes memory from one arena, reused for every
 * payload (no malloc per message on the hot path); past the arena, malloc.
 * Outside that window jansson uses malloc/free as usual. */

#define ARENA_BYTES (256u * 1024u)

static struct {
    unsigned char *base;
    size_t used;
} arena;

static void *arena_malloc(size_t n)
{
    size_t a = (n + 15u) & ~(size_t)15u;
    if (arena.base && a >= n && ARENA_BYTES - arena.used >= a) {
        void *p = arena.base + arena.used;
        arena.used += a;
        return p;
    }
    return malloc(n);
}

static void arena_free(void *p)
{
    unsigned char *c = p;
    if (arena.base && c >= arena.base && c < arena.base + ARENA_BYTES)
        return; /* released all at once by payload_parse_end */
    free(p);
}

static void payload_parse_begin(void)
{
    if (!arena.base)
        arena.base = malloc(ARENA_BYTES); /* once; NULL: plain malloc */
    arena.used = 0;
    json_set_alloc_funcs(arena_malloc, arena_free);
}

static void payload_parse_end(json_t *doc)
{
    if (doc)
        json_decref(doc);
    arena.used = 0;
    json_set_alloc_funcs(malloc, free);
}

/* The payload as a JSON value, or NULL when it is not JSON (or too large,
 * or the mode is not auto). Inside payload_parse_begin/end. */
static json_t *parse_payload(const struct output_opts *o, const mqd_frame *f,
                             const uint8_t *data, size_t len)
{
    if (o->payload_mode != PAYLOAD_AUTO || len == 0 || len > PAYLOAD_JSON_MAX ||
        (o->max_payload != 0 && len > o->max_payload))
        return NULL;
    bool declared = payload_content_type_json(f);
    if (!declared && !looks_like_json(data, len))
        return NULL;
    json_error_t err;
    return json_loadb((const char *)data, len, declared ? JSON_DECODE_ANY : 0, &err);
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
    size_t len = (size_t)n < cap ? (size_t)n : cap - 1;
    /* JSON wants a digit where C may print none ("1e+20" is fine; "inf" and
     * "nan" cannot come out of a parse). */
    return len;
}

/* ---- JSON output ---- */

static void write_value(struct json_writer *w, json_t *v)
{
    char buf[40];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        jw_object_begin(w);
        json_object_foreach(v, key, val) {
            jw_key(w, key);
            write_value(w, val);
        }
        jw_object_end(w);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *val;
        jw_array_begin(w);
        json_array_foreach(v, i, val)
            write_value(w, val);
        jw_array_end(w);
        break;
    }
    case JSON_STRING:
        jw_strn(w, (const uint8_t *)json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        jw_i64(w, (int64_t)json_integer_value(v));
        break;
    case JSON_REAL:
        jw_raw(w, buf, fmt_real(buf, sizeof buf, json_real_value(v)));
        break;
    case JSON_TRUE:
        jw_bool(w, true);
        break;
    case JSON_FALSE:
        jw_bool(w, false);
        break;
    default:
        jw_null(w);
        break;
    }
}

void payload_json_write(struct json_writer *w, const struct output_opts *o,
                        const mqd_frame *f, const char *key,
                        const uint8_t *data, size_t len)
{
    size_t shown = len;
    if (o->max_payload != 0 && shown > o->max_payload)
        shown = o->max_payload;
    jw_key(w, key);
    jw_object_begin(w);
    jw_kv_u64(w, "length", len);
    if (o->payload_mode == PAYLOAD_NONE) {
        jw_object_end(w);
        return;
    }
    payload_parse_begin();
    json_t *doc = parse_payload(o, f, data, len);
    if (doc) {
        jw_key(w, "json");
        write_value(w, doc);
        payload_parse_end(doc);
        jw_object_end(w);
        return;
    }
    payload_parse_end(NULL);
    bool text = o->payload_mode == PAYLOAD_TEXT ||
                (o->payload_mode == PAYLOAD_AUTO && utf8_valid(data, len));
    if (text) {
        if (shown < len) /* do not split a character where the output is cut */
            shown = utf8_valid_prefix(data, shown, NULL);
        jw_kv_strn(w, "text", data, shown);
    } else {
        jw_kv_hex(w, "hex", data, shown);
    }
    if (shown < len) {
        jw_kv_bool(w, "truncated", true);
        jw_kv_u64(w, "shown", shown);
    }
    jw_object_end(w);
}

/* ---- text ---- */

bool payload_text_summary(struct obuf *b, const struct output_opts *o,
                          const char *key, const uint8_t *data, size_t len)
{
    if (o->payload_mode == PAYLOAD_AUTO)
        return false;
    obuf_putc(b, ' ');
    obuf_puts(b, key);
    obuf_putc(b, '=');
    obuf_u64(b, len);
    obuf_putc(b, 'B');
    if (len == 0 || o->payload_mode == PAYLOAD_NONE)
        return true;
    obuf_putc(b, ' ');
    size_t limit = o->max_payload ? o->max_payload : SUMMARY_PAYLOAD_LIMIT;
    if (o->payload_mode == PAYLOAD_TEXT)
        text_quoted(b, data, len, limit); /* bad bytes appear as \xNN */
    else
        put_hex_bytes(b, data, len, o->max_payload ? o->max_payload : SUMMARY_HEX_LIMIT);
    return true;
}

static void indent(struct obuf *b, unsigned level)
{
    obuf_fill(b, ' ', 4 + 2 * (size_t)level);
}

static void pretty_value(struct obuf *b, json_t *v, unsigned level);

static void pretty_container(struct obuf *b, json_t *v, unsigned level)
{
    bool obj = json_is_object(v);
    size_t n = obj ? json_object_size(v) : json_array_size(v);
    obuf_putc(b, obj ? '{' : '[');
    if (n == 0) {
        obuf_putc(b, obj ? '}' : ']');
        return;
    }
    obuf_putc(b, '\n');
    size_t i = 0;
    if (obj) {
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val) {
            indent(b, level + 1);
            text_quoted(b, (const uint8_t *)key, strlen(key), 0);
            obuf_puts(b, ": ");
            pretty_value(b, val, level + 1);
            obuf_puts(b, ++i < n ? ",\n" : "\n");
        }
    } else {
        json_t *val;
        size_t k;
        json_array_foreach(v, k, val) {
            indent(b, level + 1);
            pretty_value(b, val, level + 1);
            obuf_puts(b, k + 1 < n ? ",\n" : "\n");
        }
    }
    indent(b, level);
    obuf_putc(b, obj ? '}' : ']');
}

static void pretty_value(struct obuf *b, json_t *v, unsigned level)
{
    char buf[40];
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        pretty_container(b, v, level);
        break;
    case JSON_STRING:
        /* Quoted for a terminal: control and bidi characters escaped. */
        text_quoted(b, (const uint8_t *)json_string_value(v), json_string_length(v), 0);
        break;
    case JSON_INTEGER:
        obuf_i64(b, (int64_t)json_integer_value(v));
        break;
    case JSON_REAL:
        obuf_write(b, buf, fmt_real(buf, sizeof buf, json_real_value(v)));
        break;
    case JSON_TRUE:
        obuf_puts(b, "true");
        break;
    case JSON_FALSE:
        obuf_puts(b, "false");
        break;
    default:
        obuf_puts(b, "null");
        break;
    }
}

void payload_text_pretty(struct obuf *b, const struct output_opts *o,
                         const mqd_frame *f)
{
    const uint8_t *data;
    size_t len;
    if (f->type != MQD_PUBLISH || !f->payload.present ||
        !frame_run(f, f->payload.off, f->payload.len, &data, &len))
        return;
    payload_parse_begin();
    json_t *doc = parse_payload(o, f, data, len);
    if (doc) {
        obuf_puts(b, "  payload as JSON:\n");
        indent(b, 0);
        pretty_value(b, doc, 0);
        obuf_putc(b, '\n');
    }
    payload_parse_end(doc);
}
