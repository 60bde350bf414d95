/* pktgen: frame building and pcap writing for tests; see pktgen.h. */
#include "pktgen.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pktgen {
    FILE *f;
    char *mem;          /* open_memstream buffer */
    size_t memlen;
    int dlt;
    uint32_t snaplen;
    int64_t ts_us, step_us;
    uint32_t loop_af6;
    uint64_t frames;
    uint16_t ip_id;
};

/* ---- a byte builder ---------------------------------------------------- */

struct bld {
    uint8_t *p;
    size_t cap, len;
    bool bad;
};

static void put8(struct bld *b, unsigned v)
{
    if (b->len >= b->cap) {
        b->bad = true;
        return;
    }
    b->p[b->len++] = (uint8_t)v;
}

static void put16(struct bld *b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v);
}

static void put32(struct bld *b, uint32_t v)
{
    put16(b, v >> 16);
    put16(b, v & 0xFFFF);
}

static void put32le(struct bld *b, uint32_t v)
{
    put8(b, v);
    put8(b, v >> 8);
    put8(b, v >> 16);
    put8(b, v >> 24);
}

static void putn(struct bld *b, const void *src, size_t n)
{
    if (n > b->cap - b->len) {
        b->bad = true;
        return;
    }
    if (n)
        memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void patch16(struct bld *b, size_t at, unsigned v)
{
    if (at + 2 <= b->len) {
        b->p[at] = (uint8_t)(v >> 8);
        b->p[at + 1] = (uint8_t)v;
    }
}

/* ---- checksums (RFC 1071) ---------------------------------------------- */

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint16_t l4_checksum(const struct pktgen_flow *f, int dir, uint8_t proto,
                            const uint8_t *l4, size_t len)
{
    size_t alen = f->family == 4 ? 4 : 16;
    uint32_t sum = sum_bytes(0, f->addr[dir], alen);
    sum = sum_bytes(sum, f->addr[!dir], alen);
    sum += proto;
    sum += (uint32_t)(len & 0xFFFF) + (uint32_t)(len >> 16);
    return fold(sum_bytes(sum, l4, len));
}

/* ---- flows ------------------------------------------------------------- */

static void flow_init(struct pktgen_flow *f, int family, int af,
                      const char *client, uint16_t cport, const char *server,
                      uint16_t sport)
{
    memset(f, 0, sizeof *f);
    f->family = (uint8_t)family;
    if (inet_pton(af, client, f->addr[0]) != 1 ||
        inet_pton(af, server, f->addr[1]) != 1) {
        fprintf(stderr, "pktgen: bad address %s / %s\n", client, server);
        abort();
    }
    f->port[0] = cport;
    f->port[1] = sport;
}

void pktgen_flow4(struct pktgen_flow *f, const char *client, uint16_t cport,
                  const char *server, uint16_t sport)
{
    flow_init(f, 4, AF_INET, client, cport, server, sport);
}

void pktgen_flow6(struct pktgen_flow *f, const char *client, uint16_t cport,
                  const char *server, uint16_t sport)
{
    flow_init(f, 6, AF_INET6, client, cport, server, sport);
}

/* ---- link layers ------------------------------------------------------- */

static const uint8_t mac[2][6] = {{0x02, 0, 0, 0, 0, 0x01},
                                  {0x02, 0, 0, 0, 0, 0x02}};

static void put_link(struct bld *b, int dlt, const struct pktgen_flow *f,
                     int dir, uint32_t loop_af6)
{
    unsigned ethertype = f->family == 4 ? 0x0800 : 0x86DD;
    uint32_t af = f->family == 4 ? 2 : loop_af6;
    switch (dlt) {
    case DLT_EN10MB:
        putn(b, mac[!dir], 6);
        putn(b, mac[dir], 6);
        for (unsigned i = 0; i < f->nvlan && i < 4; i++) {
            put16(b, f->vlan_tpid[i]);
            put16(b, f->vlan_tci[i]);
        }
        put16(b, ethertype);
        break;
    case DLT_LINUX_SLL:
        put16(b, dir == 0 ? 4 : 0); /* outgoing / to us */
        put16(b, 1);                /* ARPHRD_ETHER */
        put16(b, 6);
        putn(b, mac[dir], 6);
        put16(b, 0);
        put16(b, ethertype);
        break;
    case DLT_LINUX_SLL2:
        put16(b, ethertype);
        put16(b, 0);
        put32(b, 1);                /* interface index */
        put16(b, 1);                /* ARPHRD_ETHER */
        put8(b, dir == 0 ? 4 : 0);
        put8(b, 6);
        putn(b, mac[dir], 6);
        put16(b, 0);
        break;
    case DLT_NULL:
        put32le(b, af); /* host order of a little-endian capturer */
        break;
    case DLT_LOOP:
        put32(b, af);
        break;
    default: /* raw IP, DLT_IPV4, DLT_IPV6 */
        break;
    }
}

/* ---- IP ---------------------------------------------------------------- */

static void put_ip(struct bld *b, const struct pktgen_flow *f, int dir,
                   uint8_t proto, size_t l4len, uint16_t id)
{
    size_t start = b->len;
    if (f->family == 4) {
        size_t hlen = 20 + f->ip4_options_len;
        put8(b, 0x40 | (unsigned)(hlen / 4));
        put8(b, 0);
        put16(b, (unsigned)(hlen + l4len));
        put16(b, id);
        put16(b, f->ip4_frag ? f->ip4_frag : 0x4000); /* DF */
        put8(b, 64);
        put8(b, proto);
        put16(b, 0);
        putn(b, f->addr[dir], 4);
        putn(b, f->addr[!dir], 4);
        putn(b, f->ip4_options, f->ip4_options_len);
        if (!b->bad)
            patch16(b, start + 10, fold(sum_bytes(0, b->p + start, hlen)));
        return;
    }
    put32(b, 0x60000000u);
    put16(b, (unsigned)(f->ip6_ext_len + l4len));
    put8(b, f->ip6_ext_len ? f->ip6_ext_first : proto);
    put8(b, 64);
    putn(b, f->addr[dir], 16);
    putn(b, f->addr[!dir], 16);
    putn(b, f->ip6_ext, f->ip6_ext_len);
}

static size_t build(int dlt, const struct pktgen_flow *f, int dir,
                    uint8_t proto, const uint8_t *l4, size_t l4len,
                    uint8_t *out, size_t cap, uint32_t loop_af6, uint16_t id)
{
    struct bld b = {out, cap, 0, false};
    put_link(&b, dlt, f, dir, loop_af6);
    put_ip(&b, f, dir, proto, l4len, id);
    putn(&b, l4, l4len);
    return b.bad ? 0 : b.len;
}

static size_t tcp_segment(const struct pktgen_flow *f, int dir, uint8_t flags,
                          uint32_t seq, uint32_t ack, const void *payload,
                          size_t len, uint8_t *seg, size_t cap)
{
    struct bld b = {seg, cap, 0, false};
    put16(&b, f->port[dir]);
    put16(&b, f->port[!dir]);
    put32(&b, seq);
    put32(&b, (flags & TCP_ACK) ? ack : 0);
    put8(&b, (unsigned)(5 + f->tcp_options_len / 4) << 4);
    put8(&b, flags);
    put16(&b, 65535);
    put16(&b, 0);
    put16(&b, 0);
    putn(&b, f->tcp_options, f->tcp_options_len);
    putn(&b, payload, len);
    if (b.bad)
        return 0;
    patch16(&b, 16, l4_checksum(f, dir, 6, seg, b.len));
    return b.len;
}

static size_t build_tcp(int dlt, const struct pktgen_flow *f, int dir,
                        uint8_t flags, uint32_t seq, uint32_t ack,
                        const void *payload, size_t len, uint8_t *out,
                        size_t cap, uint32_t loop_af6, uint16_t id)
{
    static uint8_t seg[PKTGEN_MAX_FRAME];
    size_t n = tcp_segment(f, dir, flags, seq, ack, payload, len, seg,
                           sizeof seg);
    if (n == 0)
        return 0;
    return build(dlt, f, dir, 6, seg, n, out, cap, loop_af6, id);
}

size_t pktgen_build_tcp(int dlt, const struct pktgen_flow *f, int dir,
                        uint8_t flags, uint32_t seq, uint32_t ack,
                        const void *payload, size_t len, uint8_t *out,
                        size_t cap)
{
    return build_tcp(dlt, f, dir, flags, seq, ack, payload, len, out, cap, 24,
                     1);
}

static size_t build_udp(int dlt, const struct pktgen_flow *f, int dir,
                        const void *payload, size_t len, uint8_t *out,
                        size_t cap, uint32_t loop_af6, uint16_t id)
{
    static uint8_t dgram[PKTGEN_MAX_FRAME];
    struct bld b = {dgram, sizeof dgram, 0, false};
    put16(&b, f->port[dir]);
    put16(&b, f->port[!dir]);
    put16(&b, (unsigned)(8 + len));
    put16(&b, 0);
    putn(&b, payload, len);
    if (b.bad)
        return 0;
    patch16(&b, 6, l4_checksum(f, dir, 17, dgram, b.len));
    return build(dlt, f, dir, 17, dgram, b.len, out, cap, loop_af6, id);
}

size_t pktgen_build_udp(int dlt, const struct pktgen_flow *f, int dir,
                        const void *payload, size_t len, uint8_t *out,
                        size_t cap)
{
    return build_udp(dlt, f, dir, payload, len, out, cap, 24, 1);
}

/* ---- pcap files -------------------------------------------------------- */

/* The LINKTYPE_ value written in the file header for a DLT_ value. */
static uint32_t linktype_of(int dlt)
{
    return dlt == DLT_RAW ? PKTGEN_LINKTYPE_RAW : (uint32_t)dlt;
}

static struct pktgen *gen_new(FILE *f, int dlt)
{
    struct pktgen *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->f = f;
    g->dlt = dlt;
    g->snaplen = 262144;
    g->ts_us = (int64_t)1700000000 * 1000000;
    g->step_us = 1000;
    g->loop_af6 = 24;
    return g;
}

/* Classic pcap global header, microsecond timestamps, host byte order. */
static int write_header(struct pktgen *g)
{
    uint32_t h[6] = {0xa1b2c3d4u, 0, 0, 0, g->snaplen, linktype_of(g->dlt)};
    uint16_t ver[2] = {2, 4}; /* major, minor */
    memcpy(&h[1], ver, sizeof ver);
    return fwrite(h, sizeof h, 1, g->f) == 1 ? 0 : -1;
}

struct pktgen *pktgen_open_file(const char *path, int dlt)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    struct pktgen *g = gen_new(f, dlt);
    if (!g || write_header(g) != 0) {
        fclose(f);
        free(g);
        return NULL;
    }
    return g;
}

struct pktgen *pktgen_open_mem(int dlt)
{
    struct pktgen *g = gen_new(NULL, dlt);
    if (!g)
        return NULL;
    g->f = open_memstream(&g->mem, &g->memlen);
    if (!g->f || write_header(g) != 0) {
        if (g->f)
            fclose(g->f);
        free(g->mem);
        free(g);
        return NULL;
    }
    return g;
}

const uint8_t *pktgen_mem(struct pktgen *g, size_t *len)
{
    fflush(g->f);
    *len = g->memlen;
    return (const uint8_t *)g->mem;
}

int pktgen_close(struct pktgen *g)
{
    if (!g)
        return -1;
    int rc = fclose(g->f) == 0 ? 0 : -1;
    free(g->mem);
    free(g);
    return rc;
}

void pktgen_set_snaplen(struct pktgen *g, uint32_t snaplen)
{
    g->snaplen = snaplen;
}

void pktgen_set_time(struct pktgen *g, int64_t ts_us)
{
    g->ts_us = ts_us;
}

void pktgen_set_step(struct pktgen *g, int64_t step_us)
{
    g->step_us = step_us;
}

void pktgen_set_loop_af6(struct pktgen *g, uint32_t af)
{
    g->loop_af6 = af;
}

uint64_t pktgen_frames(const struct pktgen *g)
{
    return g->frames;
}

int pktgen_write_raw(struct pktgen *g, int64_t ts_us, uint32_t caplen,
                     uint32_t origlen, const uint8_t *data)
{
    uint32_t h[4] = {(uint32_t)(ts_us / 1000000), (uint32_t)(ts_us % 1000000),
                     caplen, origlen};
    if (fwrite(h, sizeof h, 1, g->f) != 1)
        return -1;
    if (caplen && fwrite(data, caplen, 1, g->f) != 1)
        return -1;
    g->frames++;
    return 0;
}

int pktgen_write(struct pktgen *g, const uint8_t *frame, size_t len)
{
    uint32_t caplen = len > g->snaplen ? g->snaplen : (uint32_t)len;
    int rc = pktgen_write_raw(g, g->ts_us, caplen, (uint32_t)len, frame);
    g->ts_us += g->step_us;
    return rc;
}

/* ---- TCP/UDP convenience ----------------------------------------------- */

int pktgen_tcp(struct pktgen *g, struct pktgen_flow *f, int dir,
               uint8_t flags, uint32_t seq, const void *payload, size_t len)
{
    static uint8_t frame[PKTGEN_MAX_FRAME + 128];
    size_t n = build_tcp(g->dlt, f, dir, flags, seq, f->next_seq[!dir],
                         payload, len, frame, sizeof frame, g->loop_af6,
                         ++g->ip_id);
    return n ? pktgen_write(g, frame, n) : -1;
}

int pktgen_tcp_next(struct pktgen *g, struct pktgen_flow *f, int dir,
                    uint8_t flags, const void *payload, size_t len)
{
    int rc = pktgen_tcp(g, f, dir, flags, f->next_seq[dir], payload, len);
    f->next_seq[dir] += (uint32_t)len + ((flags & TCP_SYN) ? 1 : 0) +
                        ((flags & TCP_FIN) ? 1 : 0);
    return rc;
}

int pktgen_handshake(struct pktgen *g, struct pktgen_flow *f,
                     uint32_t client_isn, uint32_t server_isn)
{
    f->next_seq[0] = client_isn;
    f->next_seq[1] = server_isn;
    if (pktgen_tcp_next(g, f, PKTGEN_C2S, TCP_SYN, NULL, 0) != 0 ||
        pktgen_tcp_next(g, f, PKTGEN_S2C, TCP_SYN | TCP_ACK, NULL, 0) != 0)
        return -1;
    return pktgen_tcp_next(g, f, PKTGEN_C2S, TCP_ACK, NULL, 0);
}

int pktgen_data(struct pktgen *g, struct pktgen_flow *f, int dir,
                const void *payload, size_t len)
{
    return pktgen_tcp_next(g, f, dir, TCP_PSH | TCP_ACK, payload, len);
}

int pktgen_fin(struct pktgen *g, struct pktgen_flow *f, int dir)
{
    return pktgen_tcp_next(g, f, dir, TCP_FIN | TCP_ACK, NULL, 0);
}

int pktgen_udp(struct pktgen *g, const struct pktgen_flow *f, int dir,
               const void *payload, size_t len)
{
    static uint8_t frame[PKTGEN_MAX_FRAME + 128];
    size_t n = build_udp(g->dlt, f, dir, payload, len, frame, sizeof frame,
                         g->loop_af6, ++g->ip_id);
    return n ? pktgen_write(g, frame, n) : -1;
}
