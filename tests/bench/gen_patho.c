/* gen_patho: writes deterministic captures of pathological MQTT-over-TCP
 * traffic, for the linear-time benchmark (tests/bench/patho.sh).
 *
 * Usage: gen_patho SCENARIO N OUT.pcap
 *   bytewise N   one PUBLISH of exactly N bytes (fixed header included),
 *                sent in N TCP segments of 1 byte each (N >= 18; a few N,
 *                e.g. 130, admit no such PUBLISH: exit 2)
 *   tiny N       N tiny messages (PINGREQ, 2 bytes, alternating with a
 *                6-byte QoS 0 PUBLISH) back to back in as few TCP segments
 *                as IPv4 allows: each segment is a maximal IPv4 datagram
 *                (total length 65535, 65495 payload bytes), cut only at
 *                message boundaries
 *   retrans N    a stream of PUBLISH messages sent as N + 1 overlapping
 *                segments: segment i covers stream bytes [i*K, i*K + 3*K)
 *                (K = 100), so every segment after the first retransmits
 *                the 2*K bytes before it; blocks of 16 segments alternate
 *                between in order and reversed (out of order: the later
 *                segments are held until the first of the block arrives)
 *   partial N    N connections, each a handshake and one segment holding a
 *                PUBLISH fixed header announcing 1000 bytes and the first 10
 *                of them; never completed, never closed
 *   partial64 N  the same, each segment the first 64 bytes of the PUBLISH
 *                (more than a stream decoder holds without allocating)
 *
 * Every capture: classic pcap, LINKTYPE_ETHERNET, snaplen 262144,
 * microsecond timestamps from 2024-01-01T00:00:00Z advancing 10 us per
 * packet (so that even 400,000 packets stay far below any idle timeout),
 * IPv4 with header checksums and TCP checksums, server port 1883. Scenarios
 * bytewise, tiny and retrans open one connection with a handshake, send an
 * MQTT 3.1.1 CONNECT and the CONNACK, then the pathological part, then close
 * with FIN / FIN / ACK.
 *
 * Deterministic: the same arguments give the same bytes. Standalone on
 * purpose: it uses none of mqttdissect's code.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inet_checksum.h"

enum {
    SERVER_PORT = 1883,
    START_TIME = 1704067200,   /* 2024-01-01T00:00:00Z */
    STEP_US = 10,
    SNAPLEN = 262144,
    ETH_LEN = 14, IP_LEN = 20, TCP_LEN = 20,
    HDRS_LEN = ETH_LEN + IP_LEN + TCP_LEN,
    /* The largest TCP payload in one IPv4 datagram without options: the
     * Total Length field is 16 bits (RFC 791 3.1). */
    MAX_SEG_PAYLOAD = 65535 - IP_LEN - TCP_LEN,
    RETRANS_K = 100,
    RETRANS_BLOCK = 16,
    PARTIAL_ANNOUNCED = 1000,
    PARTIAL_SENT = 10,
    PARTIAL64_SENT = 61, /* 64 bytes with the fixed header */
};

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10 };
enum { C2S = 0, S2C = 1 };

/* ---- output ---------------------------------------------------------------- */

static FILE *out;
static uint64_t now_us = (uint64_t)START_TIME * 1000000u;
static uint64_t packets;

static void die(const char *what)
{
    fprintf(stderr, "gen_patho: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void write_bytes(const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, out) != n)
        die("write");
}

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    be16(p, v >> 16);
    be16(p + 2, v & 0xffff);
}

/* pcap file header: magic, version 2.4, thiszone, sigfigs, snaplen, DLT. */
static void write_file_header(void)
{
    uint8_t h[24] = {0};
    le32(h, 0xa1b2c3d4u);
    h[4] = 2;
    h[6] = 4;
    le32(h + 16, SNAPLEN);
    le32(h + 20, 1); /* LINKTYPE_ETHERNET */
    write_bytes(h, sizeof h);
}

static void write_record(const uint8_t *frame, size_t len)
{
    uint8_t h[16];
    le32(h, (uint32_t)(now_us / 1000000u));
    le32(h + 4, (uint32_t)(now_us % 1000000u));
    le32(h + 8, (uint32_t)len);
    le32(h + 12, (uint32_t)len);
    write_bytes(h, sizeof h);
    write_bytes(frame, len);
    now_us += STEP_US;
    packets++;
}

/* ---- Ethernet / IPv4 / TCP ------------------------------------------------- */

struct flow {
    uint32_t ip[2];      /* [C2S] client, [S2C] server */
    uint16_t port[2];
    uint32_t next_seq[2];
    uint16_t ip_id[2];
};

static uint8_t frame_buf[HDRS_LEN + MAX_SEG_PAYLOAD];

/* One segment from side `dir` with an explicit sequence number; the
 * acknowledgment number is the peer's next sequence number. */
static void tcp_segment(struct flow *f, int dir, uint8_t flags, uint32_t seq,
                        const uint8_t *payload, size_t len)
{
    if (len > MAX_SEG_PAYLOAD) {
        fprintf(stderr, "gen_patho: segment too large\n");
        abort();
    }
    uint8_t *eth = frame_buf, *ip = eth + ETH_LEN, *tcp = ip + IP_LEN;
    static const uint8_t mac[2][6] = {{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}};
    memcpy(eth, mac[!dir], 6);
    memcpy(eth + 6, mac[dir], 6);
    be16(eth + 12, 0x0800);

    memset(ip, 0, IP_LEN);
    ip[0] = 0x45;
    be16(ip + 2, (uint32_t)(IP_LEN + TCP_LEN + len));
    be16(ip + 4, f->ip_id[dir]++);
    be16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = 6;
    be32(ip + 12, f->ip[dir]);
    be32(ip + 16, f->ip[!dir]);
    be16(ip + 10, fold(sum16(0, ip, IP_LEN)));

    memset(tcp, 0, TCP_LEN);
    be16(tcp, f->port[dir]);
    be16(tcp + 2, f->port[!dir]);
    be32(tcp + 4, seq);
    be32(tcp + 8, (flags & TCP_ACK) ? f->next_seq[!dir] : 0);
    tcp[12] = (TCP_LEN / 4) << 4;
    tcp[13] = flags;
    be16(tcp + 14, 65535);
    if (len)
        memcpy(tcp + TCP_LEN, payload, len);
    /* TCP checksum over the pseudo-header (RFC 793 3.1). */
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    be16(pseudo + 10, (uint32_t)(TCP_LEN + len));
    uint32_t acc = sum16(0, pseudo, sizeof pseudo);
    be16(tcp + 16, fold(sum16(acc, tcp, TCP_LEN + len)));

    write_record(frame_buf, HDRS_LEN + len);
}

/* A segment at the tracked sequence number, which then advances. */
static void tcp_next(struct flow *f, int dir, uint8_t flags,
                     const uint8_t *payload, size_t len)
{
    tcp_segment(f, dir, flags, f->next_seq[dir], payload, len);
    f->next_seq[dir] += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);
}

static void flow_init(struct flow *f, uint32_t client_ip, uint16_t client_port,
                      uint32_t isn)
{
    memset(f, 0, sizeof *f);
    f->ip[C2S] = client_ip;
    f->ip[S2C] = 0x0a000001u; /* 10.0.0.1 */
    f->port[C2S] = client_port;
    f->port[S2C] = SERVER_PORT;
    f->next_seq[C2S] = isn;
    f->next_seq[S2C] = isn ^ 0x5a5a5a5au;
}

static void handshake(struct flow *f)
{
    tcp_next(f, C2S, TCP_SYN, NULL, 0);
    tcp_next(f, S2C, TCP_SYN | TCP_ACK, NULL, 0);
    tcp_next(f, C2S, TCP_ACK, NULL, 0);
}

static void close_flow(struct flow *f)
{
    tcp_next(f, C2S, TCP_FIN | TCP_ACK, NULL, 0);
    tcp_next(f, S2C, TCP_FIN | TCP_ACK, NULL, 0);
    tcp_next(f, C2S, TCP_ACK, NULL, 0);
}

/* ---- MQTT ------------------------------------------------------------------ */

struct buf {
    uint8_t *data;
    size_t len, cap;
};

static void buf_init(struct buf *b, size_t cap)
{
    b->data = malloc(cap ? cap : 1);
    if (!b->data)
        die("malloc");
    b->len = 0;
    b->cap = cap;
}

static void put(struct buf *b, const void *p, size_t n)
{
    if (n > b->cap - b->len) {
        fprintf(stderr, "gen_patho: internal buffer overflow\n");
        abort();
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_u8(struct buf *b, uint32_t v)
{
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}

static void put_str(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    put_u8(b, (uint32_t)(n >> 8));
    put_u8(b, (uint32_t)(n & 0xff));
    put(b, s, n);
}

/* Remaining Length: Variable Byte Integer (MQTT 3.1.1 2.2.3). */
static size_t varint_len(uint32_t v)
{
    return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : 4;
}

static void put_varint(struct buf *b, uint32_t v)
{
    do {
        uint32_t digit = v & 0x7f;
        v >>= 7;
        put_u8(b, v ? digit | 0x80 : digit);
    } while (v);
}

/* MQTT 3.1.1 CONNECT (3.1), clean session, keep alive 60 s. */
static void put_connect(struct buf *b, const char *client_id)
{
    uint32_t rl = (uint32_t)(10 + 2 + strlen(client_id));
    put_u8(b, 0x10);
    put_varint(b, rl);
    put_str(b, "MQTT");
    put_u8(b, 4);    /* protocol level 3.1.1 */
    put_u8(b, 0x02); /* clean session */
    put_u8(b, 0);
    put_u8(b, 60);
    put_str(b, client_id);
}

/* QoS 0 PUBLISH (3.3) with `payload_len` bytes of printable text. */
static void put_publish(struct buf *b, const char *topic, size_t payload_len,
                        uint32_t pattern)
{
    put_u8(b, 0x30);
    put_varint(b, (uint32_t)(2 + strlen(topic) + payload_len));
    put_str(b, topic);
    for (size_t i = 0; i < payload_len; i++)
        put_u8(b, 'a' + (uint32_t)((i + pattern) % 26));
}

static void connect_exchange(struct flow *f, const char *client_id)
{
    struct buf b;
    buf_init(&b, 64);
    put_connect(&b, client_id);
    tcp_next(f, C2S, TCP_PSH | TCP_ACK, b.data, b.len);
    static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
    tcp_next(f, S2C, TCP_PSH | TCP_ACK, connack, sizeof connack);
    free(b.data);
}

/* Sends b[0, len) as maximal segments cut at message boundaries, given the
 * sorted end offsets of the messages. */
static void send_cut_at_boundaries(struct flow *f, const struct buf *b,
                                   const size_t *ends, size_t nends)
{
    size_t start = 0, last_end = 0;
    for (size_t i = 0; i < nends; i++) {
        if (ends[i] - start > MAX_SEG_PAYLOAD) {
            tcp_next(f, C2S, TCP_PSH | TCP_ACK, b->data + start, last_end - start);
            start = last_end;
        }
        last_end = ends[i];
    }
    if (last_end > start)
        tcp_next(f, C2S, TCP_PSH | TCP_ACK, b->data + start, last_end - start);
}

/* ---- scenarios --------------------------------------------------------------- */

static void scenario_bytewise(uint64_t n)
{
    const char *topic = "patho/bytewise";
    size_t min_rl = 2 + strlen(topic), total = (size_t)n, rl = 0;
    bool found = false;
    /* total = 1 (type byte) + the Remaining Length's own size + its value */
    for (size_t vl = 1; vl <= 4 && !found; vl++) {
        if (total < 1 + vl + min_rl)
            break;
        rl = total - 1 - vl;
        found = rl <= 268435455u && varint_len((uint32_t)rl) == vl;
    }
    if (!found) {
        fprintf(stderr, "gen_patho: bytewise: no PUBLISH of exactly %llu bytes\n",
                (unsigned long long)n);
        exit(2);
    }
    struct buf b;
    buf_init(&b, total);
    put_publish(&b, topic, rl - 2 - strlen(topic), 0);
    if (b.len != total)
        abort();

    struct flow f;
    flow_init(&f, 0x0a000002u, 40000, 1000);
    handshake(&f);
    connect_exchange(&f, "bytewise");
    for (size_t i = 0; i < b.len; i++) {
        tcp_next(&f, C2S, TCP_PSH | TCP_ACK, b.data + i, 1);
        if ((i + 1) % 8192 == 0) /* an acknowledgment now and then */
            tcp_next(&f, S2C, TCP_ACK, NULL, 0);
    }
    close_flow(&f);
    free(b.data);
}

static void scenario_tiny(uint64_t n)
{
    struct buf b;
    buf_init(&b, (size_t)n * 6);
    size_t *ends = malloc((size_t)n * sizeof *ends);
    if (!ends)
        die("malloc");
    for (uint64_t i = 0; i < n; i++) {
        if (i % 2 == 0) {
            put_u8(&b, 0xc0); /* PINGREQ (3.12) */
            put_u8(&b, 0x00);
        } else {
            put_publish(&b, "t", 1, (uint32_t)i);
        }
        ends[i] = b.len;
    }
    struct flow f;
    flow_init(&f, 0x0a000002u, 40001, 2000);
    handshake(&f);
    connect_exchange(&f, "tiny");
    send_cut_at_boundaries(&f, &b, ends, (size_t)n);
    tcp_next(&f, S2C, TCP_ACK, NULL, 0);
    close_flow(&f);
    free(ends);
    free(b.data);
}

/* Segment i of the retrans scenario: [i*K, i*K + 3*K), the last one up to
 * the end of the stream. */
static void retrans_segment(struct flow *f, const struct buf *b, uint32_t isn,
                            uint64_t i, uint64_t last)
{
    size_t start = (size_t)i * RETRANS_K;
    size_t end = i == last ? b->len : start + 3 * RETRANS_K;
    tcp_segment(f, C2S, TCP_PSH | TCP_ACK, isn + (uint32_t)start,
                b->data + start, end - start);
}

static void scenario_retrans(uint64_t n)
{
    uint64_t last = n; /* segments 0..n: n retransmissions */
    size_t want = (size_t)(n + 3) * RETRANS_K;
    struct buf b;
    buf_init(&b, want + 512);
    put_connect(&b, "retrans");
    for (uint32_t k = 0; b.len < want; k++)
        put_publish(&b, "patho/retrans", 20 + (k * 37u) % 260u, k);

    struct flow f;
    flow_init(&f, 0x0a000002u, 40002, 3000);
    handshake(&f);
    uint32_t isn = f.next_seq[C2S];
    static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
    for (uint64_t blk = 0; blk <= last; blk += RETRANS_BLOCK) {
        uint64_t hi = blk + RETRANS_BLOCK - 1 < last ? blk + RETRANS_BLOCK - 1 : last;
        bool reversed = (blk / RETRANS_BLOCK) % 2 == 1;
        for (uint64_t j = 0; j <= hi - blk; j++)
            retrans_segment(&f, &b, isn, reversed ? hi - j : blk + j, last);
        if (blk == 0)
            tcp_next(&f, S2C, TCP_PSH | TCP_ACK, connack, sizeof connack);
    }
    f.next_seq[C2S] = isn + (uint32_t)b.len;
    tcp_next(&f, S2C, TCP_ACK, NULL, 0);
    close_flow(&f);
    free(b.data);
}

/* N connections, each holding the first `sent` bytes of a PUBLISH's body
 * (at most PARTIAL64_SENT). */
static void partial_flows(uint64_t n, size_t sent)
{
    uint8_t msg[3 + PARTIAL64_SENT];
    memset(msg, 'x', sizeof msg);
    msg[0] = 0x30;
    msg[1] = (uint8_t)(0x80 | (PARTIAL_ANNOUNCED & 0x7f)); /* 1000 = e8 07 */
    msg[2] = (uint8_t)(PARTIAL_ANNOUNCED >> 7);
    static const char body[] = "\x00\x07patho/p"; /* topic length + topic */
    memcpy(msg + 3, body, 9);
    for (uint64_t i = 0; i < n; i++) {
        struct flow f;
        /* client 10.(1 + i / 50000).x.y, port 10000 + i % 50000 */
        uint32_t ip = 0x0a000000u | (uint32_t)((1 + i / 50000) << 16) |
                      (uint32_t)(i % 50000 / 250) << 8 | (uint32_t)(i % 250 + 2);
        flow_init(&f, ip, (uint16_t)(10000 + i % 50000), (uint32_t)(i * 7919u));
        handshake(&f);
        tcp_next(&f, C2S, TCP_PSH | TCP_ACK, msg, 3 + sent);
    }
}

static void scenario_partial(uint64_t n)
{
    partial_flows(n, PARTIAL_SENT);
}

static void scenario_partial64(uint64_t n)
{
    partial_flows(n, PARTIAL64_SENT);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gen_patho bytewise|tiny|retrans|partial|partial64 N OUT.pcap\n");
        return 2;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(argv[2], &end, 10);
    if (errno || *end || n == 0 || n > 100000000ull) {
        fprintf(stderr, "gen_patho: bad N %s\n", argv[2]);
        return 2;
    }
    void (*scenario)(uint64_t);
    if (!strcmp(argv[1], "bytewise"))
        scenario = scenario_bytewise;
    else if (!strcmp(argv[1], "tiny"))
        scenario = scenario_tiny;
    else if (!strcmp(argv[1], "retrans"))
        scenario = scenario_retrans;
    else if (!strcmp(argv[1], "partial"))
        scenario = scenario_partial;
    else if (!strcmp(argv[1], "partial64"))
        scenario = scenario_partial64;
    else {
        fprintf(stderr, "gen_patho: unknown scenario %s\n", argv[1]);
        return 2;
    }
    out = fopen(argv[3], "wb");
    if (!out)
        die(argv[3]);
    static char iobuf[1 << 20];
    setvbuf(out, iobuf, _IOFBF, sizeof iobuf);
    write_file_header();
    scenario(n);
    if (fclose(out) != 0)
        die("close");
    fprintf(stderr, "gen_patho: %s %llu: %llu packets\n", argv[1], n,
            (unsigned long long)packets);
    return 0;
}
