/* pktgen: builds Ethernet / Linux cooked / loopback / raw IPv4 and IPv6
 * frames carrying TCP or UDP, and writes them as classic pcap files (to disk
 * or to memory). For tests and crafted captures.
 *
 * Typical use:
 *
 *     struct pktgen *g = pktgen_open_file("/tmp/x.pcap", DLT_EN10MB);
 *     struct pktgen_flow f;
 *     pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
 *     pktgen_handshake(g, &f, 1000, 5000);          // SYN, SYN-ACK, ACK
 *     pktgen_data(g, &f, PKTGEN_C2S, "\x10\x00", 2);  // client -> server
 *     pktgen_tcp(g, &f, PKTGEN_C2S, TCP_ACK | TCP_PSH,
 *                f.next_seq[0] + 10, "late", 4);   // explicit sequence
 *     pktgen_fin(g, &f, PKTGEN_C2S); pktgen_fin(g, &f, PKTGEN_S2C);
 *     pktgen_close(g);
 *
 * The flow tracks the next sequence number of each direction: the *_next /
 * data / fin / handshake helpers use and advance it; pktgen_tcp with an
 * explicit sequence number leaves it alone. Acknowledgment numbers are the
 * other direction's next sequence number. Each packet's timestamp is the
 * generator's clock, which then advances by the step (default 1 ms).
 * IPv4 header and TCP/UDP checksums are computed. All functions returning int
 * return 0 on success, -1 on failure (buffer too small, write error). */
#ifndef MQD_TEST_PKTGEN_H
#define MQD_TEST_PKTGEN_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "net/ip.h" /* TCP_SYN, TCP_ACK, ... */

enum { PKTGEN_C2S = 0, PKTGEN_S2C = 1 };
#define PKTGEN_MAX_FRAME 70000
#define PKTGEN_LINKTYPE_RAW 101 /* raw IP as written in files */

struct pktgen_flow {
    uint8_t family;        /* 4 or 6 */
    uint8_t addr[2][16];   /* [0] client, [1] server */
    uint16_t port[2];
    uint32_t next_seq[2];  /* per direction, advanced by the helpers */
    /* Ethernet only: VLAN tags, outermost first (TPID 0x8100/0x88a8/...). */
    unsigned nvlan;
    uint16_t vlan_tpid[4], vlan_tci[4];
    /* IPv4 options (a multiple of 4 bytes, at most 40), copied verbatim. */
    const uint8_t *ip4_options;
    size_t ip4_options_len;
    /* IPv6 extension header chain, copied verbatim between the fixed header
     * and TCP/UDP. ip6_ext_first is the fixed header's Next Header; the
     * chain's last Next Header must be 6 (TCP) or 17 (UDP). */
    const uint8_t *ip6_ext;
    size_t ip6_ext_len;
    uint8_t ip6_ext_first;
    /* IPv4 flags/fragment-offset word (host order), e.g. 0x2000 = MF. */
    uint16_t ip4_frag;
    /* TCP options (a multiple of 4 bytes, at most 40), copied verbatim into
     * every segment built while set (e.g. a Window Scale for the SYNs). */
    const uint8_t *tcp_options;
    size_t tcp_options_len;
};

/* A flow between "client" and "server" addresses (inet_pton text). */
void pktgen_flow4(struct pktgen_flow *f, const char *client, uint16_t cport,
                  const char *server, uint16_t sport);
void pktgen_flow6(struct pktgen_flow *f, const char *client, uint16_t cport,
                  const char *server, uint16_t sport);

struct pktgen;

/* A generator writing a pcap file with link type `dlt` (a DLT_* value, or
 * PKTGEN_LINKTYPE_RAW). NULL on failure. */
struct pktgen *pktgen_open_file(const char *path, int dlt);
/* The same, accumulating the file image in memory (see pktgen_mem). */
struct pktgen *pktgen_open_mem(int dlt);
/* The pcap file image so far (memory generators only; valid until the next
 * write or pktgen_close). */
const uint8_t *pktgen_mem(struct pktgen *g, size_t *len);
/* Flushes, closes, frees. For memory generators the image is freed too. */
int pktgen_close(struct pktgen *g);

/* Records longer than `snaplen` are cut (caplen < len), as tcpdump -s does. */
void pktgen_set_snaplen(struct pktgen *g, uint32_t snaplen);
void pktgen_set_time(struct pktgen *g, int64_t ts_us);
void pktgen_set_step(struct pktgen *g, int64_t step_us);
/* DLT_NULL / DLT_LOOP: the AF value written for IPv6 (default 24). */
void pktgen_set_loop_af6(struct pktgen *g, uint32_t af);
/* Frames written so far. */
uint64_t pktgen_frames(const struct pktgen *g);

/* Builds one frame of link type `dlt` into out[cap]; returns its length, 0
 * if it does not fit. */
size_t pktgen_build_tcp(int dlt, const struct pktgen_flow *f, int dir,
                        uint8_t flags, uint32_t seq, uint32_t ack,
                        const void *payload, size_t len, uint8_t *out,
                        size_t cap);
size_t pktgen_build_udp(int dlt, const struct pktgen_flow *f, int dir,
                        const void *payload, size_t len, uint8_t *out,
                        size_t cap);

/* Writes one record holding `frame` (cut to the snaplen). */
int pktgen_write(struct pktgen *g, const uint8_t *frame, size_t len);
/* Writes one record with an arbitrary header (caplen bytes of data follow). */
int pktgen_write_raw(struct pktgen *g, int64_t ts_us, uint32_t caplen,
                     uint32_t origlen, const uint8_t *data);

/* One TCP segment with an explicit sequence number (tracking unchanged). */
int pktgen_tcp(struct pktgen *g, struct pktgen_flow *f, int dir,
               uint8_t flags, uint32_t seq, const void *payload, size_t len);
/* One TCP segment at the tracked sequence number, which then advances by
 * len (+1 for SYN, +1 for FIN). */
int pktgen_tcp_next(struct pktgen *g, struct pktgen_flow *f, int dir,
                    uint8_t flags, const void *payload, size_t len);
/* SYN, SYN-ACK, ACK with the given initial sequence numbers. */
int pktgen_handshake(struct pktgen *g, struct pktgen_flow *f,
                     uint32_t client_isn, uint32_t server_isn);
/* PSH|ACK data at the tracked sequence number. */
int pktgen_data(struct pktgen *g, struct pktgen_flow *f, int dir,
                const void *payload, size_t len);
/* FIN|ACK at the tracked sequence number. */
int pktgen_fin(struct pktgen *g, struct pktgen_flow *f, int dir);
/* One UDP datagram. */
int pktgen_udp(struct pktgen *g, const struct pktgen_flow *f, int dir,
               const void *payload, size_t len);

#endif
