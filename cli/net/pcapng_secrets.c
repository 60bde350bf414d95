/* Decryption Secrets Blocks read from a pcapng file's first blocks. See
 * pcapng_secrets.h. Block layout (draft-ietf-opsawg-pcapng, section 3.1):
 * block type, block total length (a multiple of 4, at least 12), body,
 * block total length again; every number in the section's byte order, set
 * by the Section Header Block's byte-order magic. */
#include "net/pcapng_secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/wire.h"

#define BT_SHB 0x0A0D0D0Au  /* Section Header Block (a palindrome) */
#define BT_PB 0x00000002u   /* Packet Block (obsolete) */
#define BT_SPB 0x00000003u  /* Simple Packet Block */
#define BT_EPB 0x00000006u  /* Enhanced Packet Block */
#define BT_DSB 0x0000000Au  /* Decryption Secrets Block */
#define BOM 0x1A2B3C4Du

static bool u32(struct wire *w, bool be, uint32_t *v)
{
    return be ? wire_be32(w, v) : wire_le32(w, v);
}

/* Reads n bytes of f into buf (NULL: reads past them); false when f ends
 * first. */
static bool get(FILE *f, uint8_t *buf, size_t n)
{
    uint8_t skip[4096];
    while (n > 0) {
        size_t k = buf ? n : n < sizeof skip ? n : sizeof skip;
        size_t got = fread(buf ? buf : skip, 1, k, f);
        if (got != k)
            return false;
        n -= k;
        if (buf)
            buf += k;
    }
    return true;
}

int pcapng_secrets_read(FILE *f, pcapng_secrets_cb cb, void *ctx)
{
    int found = 0;
    bool be = false, section = false;
    uint8_t *body = NULL;
    size_t seen = 0; /* bytes read: bounded */
    int rc = -1;
    for (unsigned n = 0; n < PCAPNG_SECRETS_MAX_BLOCKS; n++) {
        uint8_t hdr[12];
        size_t got = fread(hdr, 1, sizeof hdr, f);
        if (got == 0 && section) {
            rc = found; /* the file ends before any packet */
            break;
        }
        if (got < 8)
            break;
        struct wire w = wire_make(hdr, got);
        uint32_t type, total;
        (void)wire_le32(&w, &type);
        if (type == BT_SHB) { /* a new section: its byte order first */
            uint32_t bom;
            struct wire m = wire_make(hdr + 8, got - 8);
            if (!wire_le32(&m, &bom))
                break;
            if (bom == BOM)
                be = false;
            else if (bom == 0x4D3C2B1Au)
                be = true;
            else
                break;
            section = true;
        } else if (!section) {
            break; /* not pcapng */
        }
        w = wire_make(hdr, 8); /* in the section's byte order */
        if (!u32(&w, be, &type) || !u32(&w, be, &total) || total < 12 ||
            total % 4 != 0)
            break;
        if (type == BT_PB || type == BT_SPB || type == BT_EPB) {
            rc = found; /* the first packet: secrets come before it */
            break;
        }
        if ((seen += total) > PCAPNG_SECRETS_MAX_PREFIX)
            break;
        /* got bytes were read: 8 of header, then got - 8 of the body and
         * the trailing length (of total - 8). */
        size_t rest = total - got;
        if (type == BT_DSB && total - 12 <= PCAPNG_SECRETS_MAX_BODY && got - 8 <= total - 12) {
            size_t len = total - 12, have = got - 8;
            uint8_t *b = realloc(body, len ? len : 1);
            if (!b)
                break;
            body = b;
            memcpy(body, hdr + 8, have);
            if (!get(f, body + have, len - have))
                break;
            cb(ctx, body, len, be);
            found++;
            rest = 4; /* the trailing length */
        }
        if (!get(f, NULL, rest)) {
            rc = found; /* f ends inside this block: what came before */
            break;
        }
    }
    free(body);
    return rc;
}

int pcapng_secrets_scan(const char *path, pcapng_secrets_cb cb, void *ctx)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    int rc = pcapng_secrets_read(f, cb, ctx);
    fclose(f);
    return rc;
}
