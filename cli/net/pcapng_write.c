/* The pcapng blocks -w writes. See pcapng_write.h. Block layouts: the
 * pcapng specification, sections 4.1 (SHB), 4.2 (IDB), 4.3 (EPB); if_tsresol
 * is IDB option 9, opt_endofopt option 0. */
#include "net/pcapng_write.h"

#include <pcap/pcap.h>
#include <string.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define LINKTYPE_RAW 101u

uint16_t pcapng_linktype_of_dlt(int dlt)
{
    if (dlt == DLT_RAW)
        return LINKTYPE_RAW; /* DLT_RAW is 12 or 14 by platform */
    return (uint16_t)dlt;
}

static bool put(FILE *f, const void *p, size_t n)
{
    return fwrite(p, 1, n, f) == n;
}

static bool put32(FILE *f, uint32_t v)
{
    return put(f, &v, 4);
}

int pcapng_write_header(FILE *f, int dlt, uint32_t snaplen)
{
    /* SHB: type, length, byte-order magic, version 1.0, section length
     * unknown (-1), no options, length again. */
    uint32_t shb_len = 28;
    uint16_t ver[2] = {1, 0};
    uint64_t section_len = UINT64_MAX;
    bool ok = put32(f, BT_SHB) && put32(f, shb_len) && put32(f, BYTE_ORDER_MAGIC) &&
              put(f, ver, sizeof ver) && put(f, &section_len, 8) && put32(f, shb_len);
    /* IDB: type, length, link type, reserved, snaplen, if_tsresol = 9
     * (code 9, length 1, value, 3 bytes of padding), opt_endofopt, length. */
    uint32_t idb_len = 32;
    uint16_t lt[2] = {pcapng_linktype_of_dlt(dlt), 0};
    uint16_t tsresol_hdr[2] = {9, 1};
    uint8_t tsresol[4] = {9, 0, 0, 0};
    ok = ok && put32(f, BT_IDB) && put32(f, idb_len) && put(f, lt, sizeof lt) &&
         put32(f, snaplen) && put(f, tsresol_hdr, sizeof tsresol_hdr) &&
         put(f, tsresol, sizeof tsresol) && put32(f, 0) && put32(f, idb_len);
    return ok ? 0 : -1;
}

int pcapng_write_packet(FILE *f, int64_t sec, uint32_t nsec, uint32_t caplen,
                        uint32_t len, const uint8_t *data)
{
    if (caplen > PCAPNG_WRITE_MAX_CAPLEN || sec < 0 || nsec >= 1000000000u)
        return -1;
    uint32_t pad = (4 - (caplen & 3)) & 3;
    uint32_t blk_len = 32 + caplen + pad;
    uint64_t ts = (uint64_t)sec * 1000000000u + nsec;
    static const uint8_t zeros[4];
    bool ok = put32(f, BT_EPB) && put32(f, blk_len) && put32(f, 0) &&
              put32(f, (uint32_t)(ts >> 32)) && put32(f, (uint32_t)ts) &&
              put32(f, caplen) && put32(f, len) && put(f, data, caplen) &&
              put(f, zeros, pad) && put32(f, blk_len);
    return ok ? 0 : -1;
}
