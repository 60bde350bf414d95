/* The STATE payload of a Sparkplug 3.0 host application (spb_state_priv.h):
 * one JSON object, checked by the same strict RFC 8259 validator as the
 * payloads the JSON output embeds, whose top-level members "online" and
 * "timestamp" are then picked out token by token. */
#include "analysis/spb_state_priv.h"

#include <string.h>

enum state_member { MEMBER_OTHER, MEMBER_ONLINE, MEMBER_TIMESTAMP };

/* Which member a name token names; an escaped name is decoded first (the
 * two names of interest are short: a longer name is neither). */
static enum state_member member_named(const uint8_t *p, const struct json_token *name)
{
    uint8_t buf[16];
    const uint8_t *s = p + name->off;
    size_t n = name->len;
    if (name->escaped) {
        if (n > sizeof buf)
            return MEMBER_OTHER;
        n = json_unescape(s, n, buf);
        s = buf;
    }
    if (n == 6 && memcmp(s, "online", 6) == 0)
        return MEMBER_ONLINE;
    if (n == 9 && memcmp(s, "timestamp", 9) == 0)
        return MEMBER_TIMESTAMP;
    return MEMBER_OTHER;
}

static bool opens(int kind)
{
    return kind == JT_OBJECT_BEGIN || kind == JT_ARRAY_BEGIN;
}

static bool closes(int kind)
{
    return kind == JT_OBJECT_END || kind == JT_ARRAY_END;
}

bool spb_state_payload(struct json_embed *je, const uint8_t *p, size_t len, int *online,
                       bool *timestamp)
{
    *online = -1;
    *timestamp = false;
    struct json_embed_result r;
    if (len == 0 || !json_embed_check(je, p, len, &r))
        return false; /* an empty payload (p may be NULL), or not JSON */
    struct json_tokens t;
    struct json_token tok;
    json_tokens_init(&t, p, len);
    if (json_tokens_next(&t, &tok) != JT_OBJECT_BEGIN)
        return false;
    unsigned depth = 1;
    while (depth > 0 && json_tokens_next(&t, &tok) != JT_END) {
        if (opens(tok.kind)) {
            depth++;
        } else if (closes(tok.kind)) {
            depth--;
        } else if (tok.kind == JT_NAME && depth == 1) {
            enum state_member m = member_named(p, &tok);
            int v = json_tokens_next(&t, &tok); /* the member's value */
            if (m == MEMBER_ONLINE)
                *online = v == JT_TRUE ? 1 : v == JT_FALSE ? 0 : -1;
            else if (m == MEMBER_TIMESTAMP)
                *timestamp = v == JT_NUMBER;
            if (opens(v))
                depth++;
        }
    }
    return true;
}
