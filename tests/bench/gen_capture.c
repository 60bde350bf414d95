/* gen_capture: writes a deterministic synthetic MQTT-over-TCP capture for the
 * benchmarks (classic pcap, LINKTYPE_ETHERNET, microsecond timestamps).
 *
 * Usage: gen_capture [-s MB] [-c CONNECTIONS] [-S SEED] [-m COUNTS_FILE] [-X]
 *                    [-n STEPS] [-P] [-T KEYLOG] OUT.pcap
 *   -s  target size in MB (10^6 bytes, default 50); the file ends up to
 *       about 25 kB short of it (the teardown is reserved in advance)
 *   -c  client connections (default 2000, fewer for very small sizes)
 *   -S  PRNG seed (default 1); same seed + size + connections = same bytes
 *   -m  write the number of MQTT messages of each type there, one
 *       "TYPE COUNT NAME" line per type (TYPE: the control packet type)
 *   -X  also cut segments inside a Remaining Length field (tshark 4.0
 *       misparses those; mqttdissect must not)
 *   -n  run exactly STEPS traffic steps instead of filling -s MB (-s then
 *       only sets the default number of connections); the summary line on
 *       stderr says how many steps a size-driven run took
 *   -P  Sparkplug B payloads: the same connections, messages, QoS and
 *       directions as without -P for the same seed and steps (the random
 *       choices are drawn alike), but every client is an edge node: its
 *       first PUBLISH is an NBIRTH on spBv1.0/site<S>/NBIRTH/<client id>
 *       (bdSeq, Node Control/Rebirth, five metrics with names and aliases),
 *       the next ones NDATA with 2 to 4 metrics by alias alone and seq
 *       counting mod 256; the broker forwards other nodes' NDATA and sends
 *       NCMD; a will is an NDEATH (gen_sparkplug.h). Payload sizes are
 *       Sparkplug's, not the drawn ones.
 *   -T KEYLOG  the same messages (the same seed and size give the same MQTT
 *       traffic as without -T, with or without -P) inside TLS 1.3, TLS_AES_128_GCM_SHA256, to
 *       port 8883: each connection's handshake, then every write as
 *       records (gen_tls.h); the secrets go to KEYLOG. The file is larger
 *       than -s by the TLS overhead.
 *
 * Traffic: every client does a TCP handshake (with an MSS option of 1460),
 * CONNECT/CONNACK (MQTT 3.1, 3.1.1 or 5.0; 5.0 with properties) and
 * SUBSCRIBE/SUBACK, then PUBLISH traffic in both directions is interleaved
 * across connections at random: QoS 0, 1 (PUBACK) and 2 (PUBREC, PUBREL,
 * PUBCOMP), several messages per segment, messages split across segments
 * (MSS-sized and at random cut points, including inside the fixed header),
 * occasional 64 KiB messages, PINGREQ/PINGRESP; finally DISCONNECT and a FIN
 * exchange. Sequence and acknowledgement numbers are exact, and the receiver
 * acknowledges at least every second full segment, as delayed ACK does
 * (RFC 1122 4.2.3.2), so bytes in flight never exceed the advertised window.
 *
 * Standalone on purpose: it uses none of mqttdissect's code (libcrypto for
 * -T).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_mqtt.h"
#include "gen_tls.h"
#include "inet_checksum.h"

static bool split_remaining_length; /* -X */
static FILE *out;
static uint64_t bytes_written;   /* of the plain capture (with -T: as if written) */
static uint64_t packets_written;
/* -T: the capture written is the TLS one; the plain one is only counted
 * (its frames decide the timing and when the traffic ends, exactly as
 * without -T, so the MQTT traffic is the same). */
static bool tls_mode;
static struct conn *tls_conns;    /* per connection: its TCP state in the TLS capture */
static struct gtls_conn *tls_state;
static uint64_t tls_bytes, tls_packets, tls_usec;
static uint64_t now_usec = (uint64_t)START_TIME * 1000000u;

uint64_t capture_time_ms(void)
{
    return now_usec / 1000;
}

void die(const char *what)
{
    fprintf(stderr, "gen_capture: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void write_bytes(const void *p, size_t n)
{
    if (n == 0)
        return;
    if (fwrite(p, 1, n, out) != n)
        die("write");
}

/* ---- Ethernet / IPv4 / TCP ------------------------------------------------ */

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10 };

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static void put_be16_at(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v;
}

/* One frame from side d of connection c, at time usec, to `port` on the
 * server, written when `write`, counted in *bytes and *packets; consumes
 * sequence space for the payload and for SYN and FIN (RFC 9293 3.4). */
static void frame_out(struct conn *c, enum dir d, uint32_t flags, const uint8_t *payload,
                      size_t len, uint64_t usec, uint16_t port, bool write,
                      uint64_t *bytes, uint64_t *packets)
{
    static const uint32_t server_ip = 0xc0a80001; /* 192.168.0.1 */
    uint8_t hdr[16 + 14 + 20 + 24];
    size_t tcp_len = (flags & TCP_SYN) ? 24 : 20;
    size_t frame_len = 14 + 20 + tcp_len + len;
    uint32_t src_ip = d == C2S ? c->client_ip : server_ip;
    uint32_t dst_ip = d == C2S ? server_ip : c->client_ip;
    uint16_t src_port = d == C2S ? c->client_port : port;
    uint16_t dst_port = d == C2S ? port : c->client_port;
    uint8_t *eth = hdr + 16, *ip = eth + 14, *tcp = ip + 20;

    put_le32(hdr, (uint32_t)(usec / 1000000u));
    put_le32(hdr + 4, (uint32_t)(usec % 1000000u));
    put_le32(hdr + 8, (uint32_t)frame_len);
    put_le32(hdr + 12, (uint32_t)frame_len);

    static const uint8_t server_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
    uint8_t client_mac[6] = { 0x02, 0x10, 0, (uint8_t)(c->index >> 16),
                              (uint8_t)(c->index >> 8), (uint8_t)c->index };
    memcpy(eth, d == C2S ? server_mac : client_mac, 6);
    memcpy(eth + 6, d == C2S ? client_mac : server_mac, 6);
    eth[12] = 0x08; eth[13] = 0x00;

    memset(ip, 0, 20);
    ip[0] = 0x45;
    put_be16_at(ip + 2, (uint32_t)(20 + tcp_len + len));
    put_be16_at(ip + 4, c->ip_id[d]++);
    ip[6] = 0x40; /* Don't Fragment */
    ip[8] = 64;
    ip[9] = 6;
    put_be16_at(ip + 12, src_ip >> 16); put_be16_at(ip + 14, src_ip & 0xffff);
    put_be16_at(ip + 16, dst_ip >> 16); put_be16_at(ip + 18, dst_ip & 0xffff);
    put_be16_at(ip + 10, fold(sum16(0, ip, 20)));

    memset(tcp, 0, tcp_len);
    put_be16_at(tcp, src_port);
    put_be16_at(tcp + 2, dst_port);
    put_be16_at(tcp + 4, c->seq[d] >> 16); put_be16_at(tcp + 6, c->seq[d] & 0xffff);
    uint32_t ack = (flags & TCP_ACK) ? c->seq[!d] : 0;
    put_be16_at(tcp + 8, ack >> 16); put_be16_at(tcp + 10, ack & 0xffff);
    tcp[12] = (uint8_t)((tcp_len / 4) << 4);
    tcp[13] = (uint8_t)flags;
    put_be16_at(tcp + 14, 64240); /* window */
    if (flags & TCP_SYN) {
        tcp[20] = 2; tcp[21] = 4; put_be16_at(tcp + 22, MSS); /* MSS option */
    }
    /* checksum over the pseudo-header, the header and the payload */
    uint32_t sum = sum16(0, ip + 12, 8) + 6 + (uint32_t)(tcp_len + len);
    sum = sum16(sum16(sum, tcp, tcp_len), payload, len);
    put_be16_at(tcp + 16, fold(sum));

    if (write) {
        write_bytes(hdr, 16 + 14 + 20 + tcp_len);
        write_bytes(payload, len);
    }
    *bytes += 16 + 14 + 20 + tcp_len + len;
    (*packets)++;

    c->seq[d] += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1u : 0u);
    c->unacked[d] += (uint32_t)len;
    if (flags & TCP_ACK)
        c->unacked[!d] = 0;
}

/* -T: a frame of the TLS capture (its own sequence numbers, just after the
 * plain frame it stands for). */
static void tls_segment(struct conn *c, enum dir d, uint32_t flags, const uint8_t *payload,
                        size_t len)
{
    tls_usec = tls_usec + 1 > now_usec ? tls_usec + 1 : now_usec;
    frame_out(&tls_conns[c->index], d, flags, payload, len, tls_usec, 8883, true,
              &tls_bytes, &tls_packets);
}

/* One frame of the plain capture from side d of connection c (with -T
 * only counted; its SYNs and FINs are also the TLS capture's). */
static void emit_segment(struct conn *c, enum dir d, uint32_t flags, const uint8_t *payload,
                         size_t len)
{
    now_usec += 2 + wire_below(119);
    frame_out(c, d, flags, payload, len, now_usec, SERVER_PORT, !tls_mode,
              &bytes_written, &packets_written);
    if (tls_mode && (flags & (TCP_SYN | TCP_FIN)))
        tls_segment(c, d, flags, NULL, 0);
}

/* -T: one application write of side d as TLS records, in MSS-sized
 * segments, the peer acknowledging every second full segment and, when
 * that much is unacknowledged, the end of the write. */
static void tls_send(struct conn *c, enum dir d, const uint8_t *p, size_t n)
{
    static uint8_t rec[STREAM_MAX + (STREAM_MAX / GTLS_RECORD_MAX + 1) * GTLS_OVERHEAD];
    struct conn *t = &tls_conns[c->index];
    size_t len = gtls_seal(&tls_state[c->index], d, p, n, rec);
    for (size_t off = 0; off < len;) {
        size_t k = len - off < MSS ? len - off : MSS;
        bool last = off + k == len;
        tls_segment(c, d, TCP_ACK | (last ? TCP_PSH : 0), rec + off, k);
        off += k;
        if (t->unacked[d] >= 2 * MSS)
            tls_segment(c, !d, TCP_ACK, NULL, 0);
    }
}

/* -T: a handshake flight (records already made) from side d. */
static void tls_flight(struct conn *c, enum dir d, const uint8_t *rec, size_t len)
{
    tls_segment(c, d, TCP_ACK | TCP_PSH, rec, len);
}

static void pure_ack(struct conn *c, enum dir d)
{
    emit_segment(c, d, TCP_ACK, NULL, 0);
}

/* Sends one application write from side d as MSS-sized segments; the peer
 * acknowledges every second full segment. */
/* A cut at `cut` (not before `floor`) moved, unless -X, out of any Remaining
 * Length to just after the message's first byte. */
static size_t safe_cut(size_t cut, size_t floor)
{
    if (split_remaining_length)
        return cut;
    for (size_t i = 0; i < nguards; i++)
        if (cut > guard_start[i] && cut < guard_start[i] + guard_len[i] && guard_start[i] > floor)
            return guard_start[i];
    return cut;
}

static void send_stream(struct conn *c, enum dir d, const struct buf *data)
{
    size_t off = 0;
    while (off < data->len) {
        size_t n = data->len - off < MSS ? data->len - off : MSS;
        n = safe_cut(off + n, off) - off;
        bool last = off + n == data->len;
        emit_segment(c, d, TCP_ACK | (last ? TCP_PSH : 0), data->data + off, n);
        off += n;
        if (!last && c->unacked[d] >= 2 * MSS)
            pure_ack(c, !d);
    }
    if (tls_mode)
        tls_send(c, d, data->data, data->len);
}

/* Sends a write as two segments cut at `cut`, as a slow sender might. */
static void send_split(struct conn *c, enum dir d, const struct buf *data, size_t cut)
{
    cut = safe_cut(cut, 0);
    emit_segment(c, d, TCP_ACK, data->data, cut);
    emit_segment(c, d, TCP_ACK | TCP_PSH, data->data + cut, data->len - cut);
    if (tls_mode)
        tls_send(c, d, data->data, data->len);
}

/* The receiver of data that gets no reply acknowledges it now or later. */
static void maybe_ack(struct conn *c, enum dir receiver)
{
    if (c->unacked[!receiver] >= 2 * MSS || wire_below(1000) < 400)
        pure_ack(c, receiver);
}

/* ---- conversations --------------------------------------------------------- */

static uint8_t stream_store[STREAM_MAX];

static struct buf new_stream(void)
{
    nguards = 0;
    return (struct buf){ stream_store, 0, sizeof stream_store, true };
}

static void send_one(struct conn *c, enum dir d, void (*build)(struct buf *, const struct conn *))
{
    struct buf s = new_stream();
    build(&s, c);
    send_stream(c, d, &s);
}

static void send_pub_ack(struct conn *c, enum dir d, enum mqtt_type type, uint16_t pid)
{
    struct buf s = new_stream();
    build_pub_ack(&s, c, type, pid);
    send_stream(c, d, &s);
}

static void open_connection(struct conn *c)
{
    c->seq[C2S] = (uint32_t)rng_next();
    c->seq[S2C] = (uint32_t)rng_next();
    if (tls_mode) {
        struct conn *t = &tls_conns[c->index];
        *t = *c;
        t->seq[C2S] = t->seq[C2S] * 2654435761u + 1; /* not the plain capture's */
        t->seq[S2C] = t->seq[S2C] * 2654435761u + 1;
    }
    emit_segment(c, C2S, TCP_SYN, NULL, 0);
    emit_segment(c, S2C, TCP_SYN | TCP_ACK, NULL, 0);
    pure_ack(c, C2S);
    if (tls_mode) { /* the handshake's last ACK, then the TLS handshake */
        uint8_t rec[1024];
        struct gtls_conn *g = &tls_state[c->index];
        tls_segment(c, C2S, TCP_ACK, NULL, 0);
        tls_flight(c, C2S, rec, gtls_client_hello(g, rec));
        tls_flight(c, S2C, rec, gtls_server_flight(g, rec));
        tls_flight(c, C2S, rec, gtls_client_finished(g, rec));
    }
    send_one(c, C2S, build_connect);
    send_one(c, S2C, build_connack);
    uint16_t pid = next_packet_id(c, C2S);
    struct buf s = new_stream();
    build_subscribe(&s, c, pid);
    send_stream(c, C2S, &s);
    s = new_stream();
    build_suback(&s, c, pid);
    send_stream(c, S2C, &s);
    maybe_ack(c, C2S);
}

static void close_connection(struct conn *c)
{
    struct buf s = new_stream();
    if (c->level == 5 && chance(500)) { /* reason code Normal disconnection, 5.0 3.14.2.1 */
        put_u8(&s, DISCONNECT << 4); put_u8(&s, 1); put_u8(&s, 0);
        msg_count[DISCONNECT]++;
    } else {
        build_empty(&s, DISCONNECT);
    }
    send_stream(c, C2S, &s);
    emit_segment(c, C2S, TCP_FIN | TCP_ACK, NULL, 0);
    emit_segment(c, S2C, TCP_FIN | TCP_ACK, NULL, 0);
    pure_ack(c, C2S);
    if (tls_mode)
        tls_segment(c, C2S, TCP_ACK, NULL, 0);
}

/* The acknowledgement flow of a publish from side d (MQTT 5.0 4.3). */
static void finish_qos_flow(struct conn *c, enum dir d, uint32_t qos, uint16_t pid)
{
    if (qos == 0) {
        maybe_ack(c, !d);
    } else if (qos == 1) {
        send_pub_ack(c, !d, PUBACK, pid);
        maybe_ack(c, d);
    } else {
        send_pub_ack(c, !d, PUBREC, pid);
        send_pub_ack(c, d, PUBREL, pid);
        send_pub_ack(c, !d, PUBCOMP, pid);
        maybe_ack(c, d);
    }
}

static size_t random_payload_len(void)
{
    uint32_t r = rng_below(1000);
    if (r < 800)
        return rng_range(8, 300);
    if (r < 980)
        return rng_range(300, 1800);
    return rng_range(1800, 20000); /* a two- or three-byte Remaining Length */
}

static uint32_t random_qos(uint32_t max_qos)
{
    uint32_t r = rng_below(100);
    uint32_t q = r < 40 ? 0 : r < 75 ? 1 : 2;
    return q > max_qos ? max_qos : q;
}

static void publish_flow(struct conn *c, enum dir d, size_t payload_len, uint32_t qos)
{
    uint16_t pid = qos ? next_packet_id(c, d) : 0;
    struct buf s = new_stream();
    build_publish(&s, c, d, qos, pid, payload_len);
    send_stream(c, d, &s);
    finish_qos_flow(c, d, qos, pid);
}

/* Several publishes in one write: segments carry several messages, and the
 * MSS boundary falls inside some. QoS 1 ones are acknowledged in one write. */
static void publish_batch(struct conn *c, enum dir d)
{
    uint16_t pids[16];
    size_t npids = 0;
    uint32_t n = rng_range(2, 12);
    struct buf s = new_stream();
    for (uint32_t i = 0; i < n; i++) {
        uint32_t qos = chance(500) ? 1 : 0;
        uint16_t pid = qos ? next_packet_id(c, d) : 0;
        if (qos)
            pids[npids++] = pid;
        build_publish(&s, c, d, qos, pid, rng_range(10, 900));
    }
    send_stream(c, d, &s);
    if (npids == 0) {
        maybe_ack(c, !d);
        return;
    }
    s = new_stream();
    for (size_t i = 0; i < npids; i++)
        build_pub_ack(&s, c, PUBACK, pids[i]);
    send_stream(c, !d, &s);
    maybe_ack(c, d);
}

/* One small publish in two segments; the cut often falls in the fixed header
 * or the Remaining Length, which a reassembler must wait out. */
static void publish_split(struct conn *c, enum dir d)
{
    uint32_t qos = random_qos(1);
    uint16_t pid = qos ? next_packet_id(c, d) : 0;
    struct buf s = new_stream();
    build_publish(&s, c, d, qos, pid, chance(500) ? rng_range(130, 400) : rng_range(5, 120));
    size_t cut = chance(500) ? rng_range(1, 3) : rng_range(1, (uint32_t)s.len - 1);
    send_split(c, d, &s, cut);
    finish_qos_flow(c, d, qos, pid);
}

static void ping(struct conn *c)
{
    struct buf s = new_stream();
    build_empty(&s, PINGREQ);
    send_stream(c, C2S, &s);
    s = new_stream();
    build_empty(&s, PINGRESP);
    send_stream(c, S2C, &s);
    maybe_ack(c, C2S);
}

/* room: bytes left before the teardown reserve; 64 KiB messages only fit
 * while there is room for them */
static void traffic_step(struct conn *c, uint64_t room)
{
    uint32_t r = rng_below(1000);
    enum dir d = chance(600) ? C2S : S2C;
    if (r < 2 && room > LARGE_PAYLOAD + 16 * 1024)
        publish_flow(c, d, LARGE_PAYLOAD, 1);
    else if (r < 600)
        publish_flow(c, d, random_payload_len(), random_qos(2));
    else if (r < 850)
        publish_batch(c, d);
    else if (r < 950)
        publish_split(c, d);
    else
        ping(c);
}

/* ---- main ------------------------------------------------------------------ */

static void write_pcap_header(void)
{
    uint8_t h[24] = { 0 };
    put_le32(h, 0xa1b2c3d4);       /* microsecond timestamps, written little-endian */
    h[4] = 2; h[6] = 4;            /* version 2.4 */
    put_le32(h + 16, 262144);      /* snaplen */
    put_le32(h + 20, 1);           /* LINKTYPE_ETHERNET */
    write_bytes(h, sizeof h);
    bytes_written += sizeof h;
    tls_bytes += sizeof h;
}

static void init_conn(struct conn *c, uint32_t i)
{
    memset(c, 0, sizeof *c);
    c->index = i;
    /* 10.a.b.c: b and c in 1..250, never a network or broadcast address */
    c->client_ip = 0x0a000000u | (i / 62500 % 250) << 16 | (i / 250 % 250 + 1) << 8 | (i % 250 + 1);
    c->client_port = (uint16_t)(20000 + rng_below(40000));
    uint32_t r = rng_below(100);
    c->level = r < 5 ? 3 : r < 50 ? 4 : 5;
    c->site = (uint8_t)rng_below(50);
    c->ip_id[C2S] = (uint16_t)rng_next();
    c->ip_id[S2C] = (uint16_t)rng_next();
    c->next_pid[C2S] = c->next_pid[S2C] = 1;
    c->sub_id = c->level == 5 && chance(700) ? rng_range(1, 100000) : 0;
    snprintf(c->client_id, sizeof c->client_id, "dev-%05" PRIu32, i);
}

static void write_counts(const char *path)
{
    static const char *const names[16] = {
        "", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
        "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP",
        "DISCONNECT", "AUTH" };
    FILE *f = fopen(path, "w");
    if (!f)
        die(path);
    for (unsigned t = 1; t < 16; t++)
        if (msg_count[t])
            fprintf(f, "%u %" PRIu64 " %s\n", t, msg_count[t], names[t]);
    if (fclose(f) != 0)
        die(path);
}

static void usage(void)
{
    fprintf(stderr, "usage: gen_capture [-s MB] [-c CONNECTIONS] [-S SEED] [-m COUNTS_FILE] [-X]\n"
                    "                   [-n STEPS] [-P] [-T KEYLOG] OUT.pcap\n");
    exit(2);
}

int main(int argc, char **argv)
{
    double size_mb = 50;
    long conns_opt = -1;
    unsigned long long seed = 1;
    const char *counts_path = NULL, *keylog_path = NULL;
    long long steps_opt = -1;
    int opt;
    while ((opt = getopt(argc, argv, "s:c:S:m:Xn:PT:h")) != -1) {
        switch (opt) {
        case 's': size_mb = strtod(optarg, NULL); break;
        case 'c': conns_opt = strtol(optarg, NULL, 10); break;
        case 'S': seed = strtoull(optarg, NULL, 0); break;
        case 'm': counts_path = optarg; break;
        case 'X': split_remaining_length = true; break;
        case 'n': steps_opt = strtoll(optarg, NULL, 10); break;
        case 'P': sparkplug = true; break;
        case 'T': keylog_path = optarg; tls_mode = true; break;
        default: usage();
        }
    }
    if (optind + 1 != argc || !(size_mb > 0.01) || size_mb > 1e6 || conns_opt == 0 || conns_opt > 1000000 ||
        steps_opt == 0 || steps_opt > 1000000000)
        usage();
    rng_seed(seed);
    uint64_t target = (uint64_t)(size_mb * 1e6);
    /* handshake, CONNECT..SUBACK and teardown cost about 1 kB a connection:
     * keep them under 40 % of the file */
    uint64_t conns = conns_opt > 0 ? (uint64_t)conns_opt : 2000;
    if (conns_opt < 0 && conns > target * 4 / 10 / 1000)
        conns = target * 4 / 10 / 1000 > 1 ? target * 4 / 10 / 1000 : 1;

    out = fopen(argv[optind], "wb");
    if (!out)
        die(argv[optind]);
    static char iobuf[1 << 20];
    setvbuf(out, iobuf, _IOFBF, sizeof iobuf);

    struct conn *cs = calloc(conns, sizeof *cs);
    if (!cs)
        die("calloc");
    FILE *keylog = NULL;
    if (tls_mode) {
        keylog = fopen(keylog_path, "w");
        if (!keylog)
            die(keylog_path);
        tls_conns = calloc(conns, sizeof *tls_conns);
        tls_state = calloc(conns, sizeof *tls_state);
        if (!tls_conns || !tls_state)
            die("calloc");
        gtls_init(seed, keylog);
    }
    write_pcap_header();
    for (uint32_t i = 0; i < conns; i++) {
        init_conn(&cs[i], i);
        open_connection(&cs[i]);
    }
    /* apart from 64 KiB messages, a step writes at most about 24 kB */
    uint64_t reserve = conns * TEARDOWN_BYTES + 24 * 1024;
    uint64_t steps = 0;
    if (steps_opt > 0) { /* -n: a fixed number of steps, 64 KiB messages always fit */
        for (; steps < (uint64_t)steps_opt; steps++)
            traffic_step(&cs[rng_below((uint32_t)conns)], UINT64_MAX);
    } else {
        for (; bytes_written + reserve < target; steps++)
            traffic_step(&cs[rng_below((uint32_t)conns)], target - reserve - bytes_written);
    }
    for (uint32_t i = 0; i < conns; i++)
        close_connection(&cs[i]);
    if (fclose(out) != 0)
        die("close");
    if (keylog && fclose(keylog) != 0)
        die(keylog_path);
    free(cs);
    free(tls_conns);
    free(tls_state);

    uint64_t total = 0;
    for (unsigned t = 1; t < 16; t++)
        total += msg_count[t];
    fprintf(stderr, "gen_capture: %s: %" PRIu64 " bytes, %" PRIu64 " packets, %" PRIu64
            " connections, %" PRIu64 " MQTT messages (%" PRIu64 " PUBLISH), %" PRIu64 " steps\n",
            argv[optind], tls_mode ? tls_bytes : bytes_written,
            tls_mode ? tls_packets : packets_written, conns, total, msg_count[PUBLISH], steps);
    if (counts_path)
        write_counts(counts_path);
    return 0;
}
