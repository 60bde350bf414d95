/* A streaming JSON writer on an output buffer (util/obuf.h).
 *
 * struct json_writer emits JSON text (RFC 8259) into an obuf: it places
 * commas and colons itself, escapes strings, and replaces every ill-formed
 * UTF-8 sequence by U+FFFD, so whatever bytes come from the wire, the output
 * is valid UTF-8 and valid JSON.
 */
#ifndef MQD_CLI_JSON_WRITER_H
#define MQD_CLI_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/obuf.h"
#include "util/timefmt.h"

/* JSON writer. */
struct json_writer {
    struct obuf *b;
    bool need_comma; /* a value was written at this level: next needs ',' */
    unsigned depth;  /* open objects and arrays */
    struct timefmt_memo ts_memo; /* jw_timestamp's last second */
};

void jw_init(struct json_writer *w, struct obuf *b);

void jw_object_begin(struct json_writer *w);
void jw_object_end(struct json_writer *w);
void jw_array_begin(struct json_writer *w);
void jw_array_end(struct json_writer *w);
/* Ends a top-level value with "\n" (JSON Lines) and resets comma state. */
void jw_line_end(struct json_writer *w);

/* An object member's name (escaped like any string). */
void jw_key_n(struct json_writer *w, const char *key, size_t n);

/* jw_key's fast path for a name written as a string literal (its length
 * known when compiling, after inlining): the literal must need no escaping
 * (RFC 8259 s7: no '"', '\\', control or non-ASCII byte), as every literal
 * name in cli/ is; it is copied between its quotes without a scan. */
static inline void jw_key_literal(struct json_writer *w, const char *key, size_t n)
{
    char *p = obuf_reserve(w->b, n + 4);
    size_t comma = w->need_comma ? 1 : 0;
    p[0] = ','; /* overwritten by the quote when no comma is due */
    p[comma] = '"';
    memcpy(p + comma + 1, key, n);
    p[comma + 1 + n] = '"';
    p[comma + 2 + n] = ':';
    obuf_commit(w->b, n + 3 + comma);
    w->need_comma = false; /* the value follows the colon directly */
}

/* An object member's name: the one way every printer writes a name,
 * literal or not. */
static inline void jw_key(struct json_writer *w, const char *key)
{
#if defined(__GNUC__) && !defined(__clang__)
    /* A literal: strlen folds to a constant once this is inlined. */
    if (__builtin_constant_p(strlen(key)) && strlen(key) + 4 <= OBUF_MAX_RESERVE) {
        jw_key_literal(w, key, strlen(key));
        return;
    }
#endif
    jw_key_n(w, key, strlen(key));
}

/* String values. Bytes that are not well-formed UTF-8 become U+FFFD. */
void jw_strn(struct json_writer *w, const uint8_t *s, size_t n);
static inline void jw_str(struct json_writer *w, const char *s)
{
    jw_strn(w, (const uint8_t *)s, strlen(s));
}
/* A string of hex digits for bytes: "0a1b". */
void jw_hex(struct json_writer *w, const uint8_t *s, size_t n);

/* A timestamp (microseconds since the epoch, UTC) as an RFC 3339 string:
 * "2026-11-24T19:44:45.123456Z". */
void jw_timestamp(struct json_writer *w, int64_t ts_us);

void jw_u64(struct json_writer *w, uint64_t v);
void jw_i64(struct json_writer *w, int64_t v);
void jw_bool(struct json_writer *w, bool v);
/* Floats exactly: the shortest decimal that reads back as the same float
 * (jw_f32) or double (jw_f64); NaN and infinities, which JSON lacks, as the
 * strings "NaN", "Infinity", "-Infinity". */
void jw_f32(struct json_writer *w, float v);
void jw_f64(struct json_writer *w, double v);
void jw_null(struct json_writer *w);
/* A value that is already JSON text (the caller vouches for it). */
void jw_raw(struct json_writer *w, const char *json, size_t n);

/* Key-value shorthands (inline, as jw_key, so literal names take its
 * fast path). */
static inline void jw_kv_str(struct json_writer *w, const char *key,
                             const char *s)
{
    jw_key(w, key);
    jw_str(w, s);
}

static inline void jw_kv_strn(struct json_writer *w, const char *key,
                              const uint8_t *s, size_t n)
{
    jw_key(w, key);
    jw_strn(w, s, n);
}

static inline void jw_kv_hex(struct json_writer *w, const char *key,
                             const uint8_t *s, size_t n)
{
    jw_key(w, key);
    jw_hex(w, s, n);
}

static inline void jw_kv_u64(struct json_writer *w, const char *key,
                             uint64_t v)
{
    jw_key(w, key);
    jw_u64(w, v);
}

static inline void jw_kv_i64(struct json_writer *w, const char *key,
                             int64_t v)
{
    jw_key(w, key);
    jw_i64(w, v);
}

static inline void jw_kv_bool(struct json_writer *w, const char *key, bool v)
{
    jw_key(w, key);
    jw_bool(w, v);
}

static inline void jw_kv_null(struct json_writer *w, const char *key)
{
    jw_key(w, key);
    jw_null(w);
}

/* The escaped body of a JSON string (no quotes) for s[0..n): exported for
 * printers that build strings themselves. */
void json_escape_into(struct obuf *b, const uint8_t *s, size_t n);

#endif
