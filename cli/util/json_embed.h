/* A payload that is one JSON text (RFC 8259), written into the JSON output
 * as a nested value without building a document: a strict validator pass,
 * then a copy of the tokens as written with the insignificant whitespace
 * dropped (so a JSON Lines record stays one line).
 *
 * Accepted is what jansson's json_loadb (JSON_DECODE_ANY, no other flags)
 * accepts, so that every output line still reads back with jansson and means
 * the same, minus three classes this module refuses on purpose:
 *   - nesting deeper than JSON_EMBED_MAX_DEPTH (jansson allows 2048);
 *   - an object with two members of the same name, compared after escapes
 *     are decoded (RFC 8259 s4: receivers disagree on what that means;
 *     jansson keeps the last value, the fuzzers' output check rejects it);
 *   - more than JSON_EMBED_MAX_KEYS member names open at once (the names of
 *     every object not yet closed), which is what the duplicate check holds.
 * Like jansson it refuses \u0000 (no JSON_ALLOW_NUL), lone or mismatched
 * surrogate escapes, and numbers it cannot represent: integers (no fraction,
 * no exponent) outside int64, and other numbers whose magnitude rounds past
 * DBL_MAX (underflow to 0 or a subnormal is accepted, as strtod does).
 * One more difference is jansson's: it skips a single NUL byte right after
 * a number or a literal ("[1\0]" loads); RFC 8259 has no place for it.
 *
 * The copy keeps every token as written: numbers keep their spelling
 * ("1.0", "1E5", "-0" stay, so a real stays a real when read back) and
 * escapes stay escapes ("\u00e9", "\/").
 *
 * Nothing allocates: the caller owns a struct json_embed, which holds the
 * member-name table; zero it once (static storage does) and reuse it. */
#ifndef MQD_CLI_JSON_EMBED_H
#define MQD_CLI_JSON_EMBED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/json_writer.h"

/* Deepest nesting of objects and arrays accepted. */
#define JSON_EMBED_MAX_DEPTH 64
/* Member names of the objects open at one time, at most. */
#define JSON_EMBED_MAX_KEYS 4096
/* Slots of the name table (a power of two, twice the names: probes stay
 * short). */
#define JSON_EMBED_SLOTS (2 * JSON_EMBED_MAX_KEYS)

enum json_embed_status {
    JE_OK = 0,
    JE_SYNTAX,        /* not RFC 8259 JSON (unexpected byte, or cut short) */
    JE_TRAILING,      /* something other than whitespace after the value */
    JE_CONTROL,       /* a raw control character (< 0x20) in a string */
    JE_BAD_UTF8,      /* ill-formed UTF-8 in a string */
    JE_BAD_ESCAPE,    /* an escape RFC 8259 s7 does not define */
    JE_NUL,           /* \u0000 (jansson refuses it by default) */
    JE_SURROGATE,     /* a surrogate escape that is not part of a pair */
    JE_NUMBER_RANGE,  /* an integer outside int64, or a number past DBL_MAX */
    JE_DEPTH,         /* nested deeper than JSON_EMBED_MAX_DEPTH */
    JE_DUPLICATE_KEY, /* an object names a member twice */
    JE_TOO_MANY_KEYS, /* more than JSON_EMBED_MAX_KEYS names open at once */
    JE_TOO_LARGE      /* input of 4 GiB or more */
};

/* One slot of the member-name table (private). */
struct json_embed_slot {
    uint64_t hash;  /* 0: empty */
    uint32_t off;   /* the name's first byte after the opening quote */
    uint32_t len;   /* its raw (still escaped) length */
    uint32_t depth; /* the object's nesting depth */
};

/* The caller-owned state: zero before first use; every call leaves it empty
 * again. */
struct json_embed {
    struct json_embed_slot slots[JSON_EMBED_SLOTS];
    uint16_t order[JSON_EMBED_MAX_KEYS]; /* live slots, in insertion order */
    size_t live;                         /* entries used in order[] */
};

/* What json_embed_check found. */
struct json_embed_result {
    int status;     /* enum json_embed_status */
    size_t offset;  /* where the first problem is (JE_OK: the length) */
    bool has_space; /* insignificant whitespace to drop when copying */
};

/* Checks that s[0..n) is exactly one JSON value, surrounded by optional
 * whitespace, that jw_json_embed may copy. Returns status == JE_OK. */
bool json_embed_check(struct json_embed *je, const uint8_t *s, size_t n,
                      struct json_embed_result *r);

/* Writes s[0..n), which json_embed_check accepted (r is its result), as a
 * value through w: the tokens as written, whitespace between them dropped. */
void jw_json_embed(struct json_writer *w, const uint8_t *s, size_t n,
                   const struct json_embed_result *r);

/* Reading a text that json_embed_check accepted, token by token (the
 * separators ',' and ':' are implied by the kinds). */
enum json_token_kind {
    JT_END = 0,
    JT_OBJECT_BEGIN,
    JT_OBJECT_END,
    JT_ARRAY_BEGIN,
    JT_ARRAY_END,
    JT_NAME,   /* a member name: off/len the body between the quotes */
    JT_STRING, /* a string value: likewise, still escaped */
    JT_NUMBER, /* off/len: the number as written */
    JT_TRUE,
    JT_FALSE,
    JT_NULL
};

struct json_token {
    int kind; /* enum json_token_kind */
    size_t off, len;
    bool escaped; /* JT_STRING, JT_NAME: the body has a backslash escape */
};

struct json_tokens {
    const uint8_t *s;
    size_t n, i;
};

void json_tokens_init(struct json_tokens *t, const uint8_t *s, size_t n);
/* The next token into *tok; returns its kind, JT_END after the last. Only
 * for checked texts: nothing is validated again. */
int json_tokens_next(struct json_tokens *t, struct json_token *tok);

/* The value of a checked string body[0..len) (JT_NAME, JT_STRING): escapes
 * decoded, as UTF-8, into out, which needs len bytes at most (no escape is
 * shorter than what it stands for). Returns the bytes written. */
size_t json_unescape(const uint8_t *body, size_t len, uint8_t *out);

/* A short English phrase for a status. */
const char *json_embed_strerror(int status);

#endif
