/* The cli's one checked reader over wire bytes (the counterpart of
 * dissect/cursor.h). Every link-layer, IP, TCP and UDP header byte that cli/
 * reads goes through these getters; none indexes packet bytes directly.
 * A getter that would read past the end reads nothing, leaves the position
 * unchanged and returns false. Multi-byte getters assemble values byte by
 * byte, so alignment and host byte order never matter. */
#ifndef MQD_CLI_WIRE_H
#define MQD_CLI_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wire {
    const uint8_t *p; /* first byte */
    size_t len;       /* bytes readable (captured) */
    size_t pos;       /* next byte to read */
};

static inline struct wire wire_make(const uint8_t *p, size_t len)
{
    struct wire w = {p, len, 0};
    return w;
}

static inline size_t wire_left(const struct wire *w)
{
    return w->pos < w->len ? w->len - w->pos : 0;
}

static inline bool wire_has(const struct wire *w, size_t n)
{
    return wire_left(w) >= n;
}

/* Pointer to the next unread byte (valid for wire_left() bytes). */
static inline const uint8_t *wire_here(const struct wire *w)
{
    return w->p + w->pos;
}

static inline bool wire_skip(struct wire *w, size_t n)
{
    if (!wire_has(w, n))
        return false;
    w->pos += n;
    return true;
}

static inline bool wire_u8(struct wire *w, uint8_t *out)
{
    if (!wire_has(w, 1))
        return false;
    *out = w->p[w->pos];
    w->pos += 1;
    return true;
}

static inline bool wire_be16(struct wire *w, uint16_t *out)
{
    if (!wire_has(w, 2))
        return false;
    const uint8_t *b = w->p + w->pos;
    *out = (uint16_t)((unsigned)b[0] << 8 | b[1]);
    w->pos += 2;
    return true;
}

static inline bool wire_be32(struct wire *w, uint32_t *out)
{
    if (!wire_has(w, 4))
        return false;
    const uint8_t *b = w->p + w->pos;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
           (uint32_t)b[2] << 8 | (uint32_t)b[3];
    w->pos += 4;
    return true;
}

static inline bool wire_le32(struct wire *w, uint32_t *out)
{
    if (!wire_has(w, 4))
        return false;
    const uint8_t *b = w->p + w->pos;
    *out = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
           (uint32_t)b[1] << 8 | (uint32_t)b[0];
    w->pos += 4;
    return true;
}

/* Copies n bytes out (n known at the call site, e.g. an address). */
static inline bool wire_bytes(struct wire *w, uint8_t *out, size_t n)
{
    if (!wire_has(w, n))
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = w->p[w->pos + i];
    w->pos += n;
    return true;
}

/* Peeks one byte at `off` past the current position without moving. */
static inline bool wire_peek8(const struct wire *w, size_t off, uint8_t *out)
{
    if (!wire_has(w, off + 1))
        return false;
    *out = w->p[w->pos + off];
    return true;
}

static inline bool wire_le16(struct wire *w, uint16_t *out)
{
    if (!wire_has(w, 2))
        return false;
    const uint8_t *b = w->p + w->pos;
    *out = (uint16_t)((unsigned)b[1] << 8 | b[0]);
    w->pos += 2;
    return true;
}

static inline bool wire_le64(struct wire *w, uint64_t *out)
{
    if (!wire_has(w, 8))
        return false;
    const uint8_t *b = w->p + w->pos;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    *out = v;
    w->pos += 8;
    return true;
}

/* A protobuf base-128 varint (at most 10 bytes, low group first). */
static inline bool wire_varint(struct wire *w, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 10; i++) {
        uint8_t c;
        if (!wire_peek8(w, i, &c))
            return false;
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            w->pos += i + 1;
            *out = v;
            return true;
        }
    }
    return false;
}

#endif
