/* The one bounds-checked reader over wire bytes. Every byte that dissect/
 * reads from a frame goes through these getters; none indexes wire bytes
 * directly. A getter that would read past `end` reads nothing, leaves the
 * cursor where it was and returns false. Offsets are relative to `base`, the
 * frame's first byte, so fields can record where they came from. */
#ifndef MQD_CURSOR_H
#define MQD_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttdissect/frame.h"

typedef struct mqd_cursor {
    const uint8_t *base; /* offset 0 */
    uint32_t pos;        /* next byte to read */
    uint32_t end;        /* one past the last readable byte */
} mqd_cursor;

static inline mqd_cursor mqd_cursor_make(const uint8_t *base, uint32_t pos,
                                         uint32_t end)
{
    mqd_cursor c = {base, pos, end};
    return c;
}

static inline uint32_t mqd_cursor_left(const mqd_cursor *c)
{
    return c->pos < c->end ? c->end - c->pos : 0;
}

static inline bool mqd_cursor_has(const mqd_cursor *c, uint32_t n)
{
    return mqd_cursor_left(c) >= n;
}

static inline bool mqd_get_u8(mqd_cursor *c, uint8_t *out)
{
    if (!mqd_cursor_has(c, 1))
        return false;
    *out = c->base[c->pos];
    c->pos += 1;
    return true;
}

static inline bool mqd_get_u16(mqd_cursor *c, uint16_t *out)
{
    if (!mqd_cursor_has(c, 2))
        return false;
    const uint8_t *p = c->base + c->pos;
    *out = (uint16_t)((unsigned)p[0] << 8 | p[1]);
    c->pos += 2;
    return true;
}

static inline bool mqd_get_u32(mqd_cursor *c, uint32_t *out)
{
    if (!mqd_cursor_has(c, 4))
        return false;
    const uint8_t *p = c->base + c->pos;
    *out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
    c->pos += 4;
    return true;
}

/* A one-byte field, recording where it was. */
static inline bool mqd_get_num8(mqd_cursor *c, mqd_num *out)
{
    uint8_t v;
    uint32_t off = c->pos;
    if (!mqd_get_u8(c, &v))
        return false;
    out->present = true;
    out->len = 1;
    out->off = off;
    out->value = v;
    return true;
}

static inline bool mqd_get_num16(mqd_cursor *c, mqd_num *out)
{
    uint16_t v;
    uint32_t off = c->pos;
    if (!mqd_get_u16(c, &v))
        return false;
    out->present = true;
    out->len = 2;
    out->off = off;
    out->value = v;
    return true;
}

static inline bool mqd_get_num32(mqd_cursor *c, mqd_num *out)
{
    uint32_t v;
    uint32_t off = c->pos;
    if (!mqd_get_u32(c, &v))
        return false;
    out->present = true;
    out->len = 4;
    out->off = off;
    out->value = v;
    return true;
}

/* A length-prefixed string or binary field (s1.5.4 / s1.5.6). False, with
 * the cursor unmoved, when the prefix or the data is cut. */
static inline bool mqd_get_str(mqd_cursor *c, mqd_str *out)
{
    mqd_cursor probe = *c;
    uint16_t n;
    if (!mqd_get_u16(&probe, &n) || !mqd_cursor_has(&probe, n))
        return false;
    out->present = true;
    out->len = n;
    out->off = c->pos;
    out->data = c->base + probe.pos;
    c->pos = probe.pos + n;
    return true;
}

/* n raw bytes. */
static inline bool mqd_get_bytes(mqd_cursor *c, uint32_t n, mqd_bytes *out)
{
    if (!mqd_cursor_has(c, n))
        return false;
    out->present = true;
    out->off = c->pos;
    out->len = n;
    out->data = c->base + c->pos;
    c->pos += n;
    return true;
}

/* The rest of the cursor's bytes. */
static inline void mqd_get_rest(mqd_cursor *c, mqd_bytes *out)
{
    uint32_t n = mqd_cursor_left(c);
    (void)mqd_get_bytes(c, n, out);
}

enum mqd_varint_status {
    MQD_VARINT_OK,
    MQD_VARINT_CUT,     /* the bytes end before the integer does */
    MQD_VARINT_TOO_LONG /* a fifth byte would be needed */
};

/* A variable byte integer (s1.5.5): 7 bits a byte, least significant group
 * first, high bit set on every byte but the last, at most 4 bytes. On
 * MQD_VARINT_OK the cursor moves past it; otherwise it stays, and *out still
 * records how many bytes were seen. A fourth byte with its continuation bit
 * set is TOO_LONG at once: no fifth byte can make it valid. */
static inline int mqd_get_varint(mqd_cursor *c, mqd_varint *out)
{
    uint32_t value = 0;
    mqd_cursor probe = *c;
    out->present = false;
    out->minimal = false;
    out->off = c->pos;
    out->value = 0;
    for (uint8_t i = 0; i < 4; i++) {
        uint8_t b;
        if (!mqd_get_u8(&probe, &b)) {
            out->nbytes = i;
            return MQD_VARINT_CUT;
        }
        value |= (uint32_t)(b & 0x7Fu) << (7u * i);
        if (b & 0x80u)
            continue;
        out->present = true;
        out->nbytes = (uint8_t)(i + 1);
        out->value = value;
        /* Minimal: only the one-byte encoding of 0 may end in a zero group
         * (MQTT-1.5.5-1). */
        out->minimal = (i == 0) || (b & 0x7Fu) != 0;
        c->pos = probe.pos;
        return MQD_VARINT_OK;
    }
    out->nbytes = 4;
    out->value = value;
    return MQD_VARINT_TOO_LONG;
}

#endif
