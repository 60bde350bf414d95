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

int pcapng_secrets_scan(const char *path, pcapng_secrets_cb cb, void *ctx)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    int found = 0, rc = -1;
    bool be = false, section = false;
    uint8_t *body = NULL;
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
        /* Where the next block starts, from this block's start. */
        long next = ftell(f);
        if (next < 0)
            break;
        next += (long)total - (long)got;
        if (type == BT_DSB && total - 12 <= PCAPNG_SECRETS_MAX_BODY) {
            size_t len = total - 12;
            uint8_t *b = realloc(body, len ? len : 1);
            if (!b)
                break;
            body = b;
            /* got bytes were read: 8 of header, then got - 8 of body. */
            size_t have = got - 8;
            if (have > len)
                break;
            memcpy(body, hdr + 8, have);
            if (fread(body + have, 1, len - have, f) != len - have)
                break;
            cb(ctx, body, len, be);
            found++;
        }
        if (fseek(f, next, SEEK_SET) != 0)
            break;
    }
    free(body);
    fclose(f);
    return rc;
}
