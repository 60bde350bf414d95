/* Link-layer decoding; see linklayer.h. Header layouts from the tcpdump.org
 * LINKTYPE_* pages (linktypes.html) and IEEE 802.1Q. */
#include "net/linklayer.h"

#include <pcap/pcap.h>

#include "util/wire.h"

/* LINKTYPE_RAW in files; libpcap maps it to DLT_RAW but be tolerant. */
#define LINKTYPE_RAW_FILE 101

enum {
    ETHERTYPE_VLAN = 0x8100,   /* IEEE 802.1Q C-tag */
    ETHERTYPE_QINQ = 0x88A8,   /* IEEE 802.1ad S-tag */
    ETHERTYPE_QINQ_OLD = 0x9100, /* pre-standard QinQ outer tag */
    ETHER_MAX_LENGTH_FIELD = 1500 /* values <= this are 802.3 lengths */
};

static int dlt_is_raw(int dlt)
{
    return dlt == DLT_RAW || dlt == LINKTYPE_RAW_FILE;
}

bool linklayer_supported(int dlt)
{
    return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL ||
           dlt == DLT_LINUX_SLL2 || dlt == DLT_NULL || dlt == DLT_LOOP ||
           dlt_is_raw(dlt) || dlt == DLT_IPV4 || dlt == DLT_IPV6;
}

const char *linklayer_status_name(int status)
{
    switch (status) {
    case LINK_OK: return "ok";
    case LINK_TRUNCATED: return "truncated link header";
    case LINK_NOT_IP: return "not IP";
    case LINK_UNSUPPORTED: return "unsupported link type";
    default: return "?";
    }
}

/* Fills `out` with the rest of the frame after the link header. */
static int finish(const struct wire *w, size_t wirelen, uint16_t ethertype,
                  struct link_result *out)
{
    out->ethertype = ethertype;
    out->net = wire_here(w);
    out->caplen = wire_left(w);
    out->wirelen = wirelen > w->pos ? wirelen - w->pos : 0;
    if (out->wirelen < out->caplen)
        out->wirelen = out->caplen; /* a record claiming len < caplen */
    if (ethertype != ETHERTYPE_IPV4 && ethertype != ETHERTYPE_IPV6)
        return LINK_NOT_IP;
    return LINK_OK;
}

/* Raw IP: the version nibble of the first byte says which. */
static int ethertype_from_version(const struct wire *w, uint16_t *ethertype)
{
    uint8_t b;
    if (!wire_peek8(w, 0, &b))
        return LINK_TRUNCATED;
    switch (b >> 4) {
    case 4: *ethertype = ETHERTYPE_IPV4; return LINK_OK;
    case 6: *ethertype = ETHERTYPE_IPV6; return LINK_OK;
    default: *ethertype = 0; return LINK_NOT_IP;
    }
}

static int decode_raw(struct wire *w, size_t wirelen, struct link_result *out)
{
    uint16_t ethertype;
    int rc = ethertype_from_version(w, &ethertype);
    if (rc == LINK_TRUNCATED)
        return rc;
    return finish(w, wirelen, ethertype, out);
}

static int is_vlan_tpid(uint16_t t)
{
    return t == ETHERTYPE_VLAN || t == ETHERTYPE_QINQ ||
           t == ETHERTYPE_QINQ_OLD;
}

/* Ethernet II: dst(6) src(6) type(2), then any number of 4-byte tags
 * TPID(2) TCI(2) whose last 12 bits of TCI are the VLAN id (802.1Q s9.6). */
static int decode_ethernet(struct wire *w, size_t wirelen,
                           struct link_result *out)
{
    uint16_t type, tci;
    if (!wire_skip(w, 12) || !wire_be16(w, &type))
        return LINK_TRUNCATED;
    while (is_vlan_tpid(type)) {
        if (!wire_be16(w, &tci) || !wire_be16(w, &type))
            return LINK_TRUNCATED;
        if (out->vlan_count < LINK_MAX_VLANS)
            out->vlan_id[out->vlan_count] = tci & 0x0FFF;
        out->vlan_count++;
    }
    if (type <= ETHER_MAX_LENGTH_FIELD)
        type = 0; /* 802.3 + LLC: not carrying IP as we handle it */
    return finish(w, wirelen, type, out);
}

/* Linux cooked v1: pkttype(2) hatype(2) halen(2) addr(8) protocol(2). */
static int decode_sll(struct wire *w, size_t wirelen, struct link_result *out)
{
    uint16_t protocol;
    if (!wire_skip(w, 14) || !wire_be16(w, &protocol))
        return LINK_TRUNCATED;
    return finish(w, wirelen, protocol, out);
}

/* Linux cooked v2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1)
 * halen(1) addr(8). */
static int decode_sll2(struct wire *w, size_t wirelen, struct link_result *out)
{
    uint16_t protocol;
    if (!wire_be16(w, &protocol) || !wire_skip(w, 18))
        return LINK_TRUNCATED;
    return finish(w, wirelen, protocol, out);
}

/* BSD AF_ values for IP: AF_INET is 2 everywhere; AF_INET6 is 10 (Linux),
 * 24 (NetBSD, OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly), 30 (Darwin). */
static uint16_t ethertype_from_af(uint32_t af)
{
    switch (af) {
    case 2: return ETHERTYPE_IPV4;
    case 10: case 24: case 28: case 30: return ETHERTYPE_IPV6;
    default: return 0;
    }
}

/* DLT_NULL: a 4-byte AF in the byte order of the host that captured, which
 * we do not know; DLT_LOOP: the same in network byte order. For NULL, take
 * whichever reading is a known family (valid values are all < 256, so at most
 * one reading can be). */
static int decode_loopback(struct wire *w, size_t wirelen, bool network_order,
                           struct link_result *out)
{
    struct wire peek = *w;
    uint32_t be, le;
    if (!wire_be32(&peek, &be))
        return LINK_TRUNCATED;
    peek = *w;
    (void)wire_le32(&peek, &le);
    wire_skip(w, 4);
    uint16_t type = ethertype_from_af(be);
    if (type == 0 && !network_order)
        type = ethertype_from_af(le);
    return finish(w, wirelen, type, out);
}

int linklayer_decode(int dlt, const uint8_t *frame, size_t caplen,
                     size_t wirelen, struct link_result *out)
{
    struct wire w = wire_make(frame, caplen);
    *out = (struct link_result){0};
    if (dlt_is_raw(dlt))
        return decode_raw(&w, wirelen, out);
    switch (dlt) {
    case DLT_EN10MB: return decode_ethernet(&w, wirelen, out);
    case DLT_LINUX_SLL: return decode_sll(&w, wirelen, out);
    case DLT_LINUX_SLL2: return decode_sll2(&w, wirelen, out);
    case DLT_NULL: return decode_loopback(&w, wirelen, false, out);
    case DLT_LOOP: return decode_loopback(&w, wirelen, true, out);
    case DLT_IPV4: return finish(&w, wirelen, ETHERTYPE_IPV4, out);
    case DLT_IPV6: return finish(&w, wirelen, ETHERTYPE_IPV6, out);
    default: return LINK_UNSUPPORTED;
    }
}
