/* The TCP connection table: finds the connection of each segment (both
 * directions map to one entry), decides who is the client, reassembles each
 * direction (tcp_reasm.h) and calls a sink in stream order. UDP datagrams are
 * passed through to the sink without a table.
 *
 * Direction 0 is client -> server, the client being the SYN sender. For a
 * connection picked up mid-stream (first seen at a data segment), the client
 * is the side whose port is not a server port (config.is_server_port), else
 * the side with the higher port.
 *
 * Lifetime of a connection: on_open, then on_data/on_gap/on_conflict in each
 * direction's stream order, then exactly one on_close. After on_close the
 * entry lingers (closed, app = NULL) until idle so that late retransmissions
 * do not open a new connection; a new SYN on the same 4-tuple does, and
 * so does a SYN with a new ISN on an open one (closed FLOW_CLOSE_REUSED).
 * A direction ends when delivery reaches its FIN; a RST within the window
 * (RFC 5961) ends the connection once the data sent before it (in both
 * directions) is delivered, or 5 s of capture time later (the rest a gap);
 * one outside is ignored.
 * Time is capture time: packet timestamps drive the idle timeout.
 *
 * Sink callbacks must not call flow_table functions. Memory: one entry per
 * accepted connection; out-of-order data is held (copied) only up to the
 * per-connection and global caps; the in-order path allocates nothing. */
#ifndef MQD_CLI_FLOW_TABLE_H
#define MQD_CLI_FLOW_TABLE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/ip.h"
#include "net/endpoint.h"
#include "net/tcp_reasm.h"

/* ep[0] is the client, ep[1] the server. */
struct flow_key {
    struct pkt_endpoint ep[2];
};

enum flow_conn_flags {
    FLOW_SYN_SEEN = 1u << 0,  /* the handshake (SYN or SYN-ACK) was seen */
    FLOW_MIDSTREAM = 1u << 1, /* picked up at a data segment */
    FLOW_CLOSED = 1u << 2,    /* on_close has been called */
    /* Picked up mid-stream exactly where an evicted connection on the same
     * endpoints stopped (idle or table full): each direction's stream goes
     * on from that one's next sequence number, in order. */
    FLOW_RESUMED = 1u << 3,
    /* Not set by the table: a connection whose bytes work on the reading
     * thread takes (flow_events.h's stage), the consumer getting notes. */
    FLOW_STAGED = 1u << 4
};

enum flow_close_reason {
    FLOW_CLOSE_FIN,            /* both directions finished */
    FLOW_CLOSE_RST,
    FLOW_CLOSE_IDLE,           /* no packet for config.idle_timeout_us */
    FLOW_CLOSE_EVICTED,        /* table full (config.max_conns) */
    FLOW_CLOSE_END_OF_CAPTURE, /* flow_table_flush */
    FLOW_CLOSE_REUSED          /* a SYN with a new ISN on the 4-tuple */
};

struct flow_conn {
    uint64_t number;       /* 1-based, in order of first appearance */
    struct flow_key key;
    unsigned flags;        /* enum flow_conn_flags */
    /* holding[d]: direction d lags: it holds out-of-order bytes back,
     * waiting for a hole to fill, or the peer acknowledged bytes of it that
     * were not captured yet (tcp_reasm_lagging). Set by the table before each on_data of dir: read
     * holding[1 - dir] there (the other direction lags); holding[dir] may
     * still count the bytes being delivered. */
    bool holding[2];
    void *app;             /* the caller's, untouched by the table */
    /* The table's own state (its last activity too) (each direction's reassembly, its place in the
     * index) lies beside this, private (net/flow_table_priv.h): what a
     * caller sees of a connection is one cache line, cheap to copy. */
};

/* Every callback is optional. `dir` is 0 (client->server) or 1. */
struct flow_sink {
    void *ctx;
    void (*on_open)(void *ctx, struct flow_conn *c, const struct pkt_info *pkt);
    void (*on_data)(void *ctx, struct flow_conn *c, int dir,
                    const uint8_t *data, size_t len, uint64_t offset,
                    const struct pkt_info *pkt);
    void (*on_gap)(void *ctx, struct flow_conn *c, int dir, uint64_t offset,
                   uint64_t len, const struct pkt_info *pkt);
    void (*on_conflict)(void *ctx, struct flow_conn *c, int dir,
                        uint64_t offset, uint64_t len,
                        const struct pkt_info *pkt);
    void (*on_close)(void *ctx, struct flow_conn *c,
                     enum flow_close_reason reason,
                     const struct pkt_info *pkt);
    /* UDP datagrams: `len` bytes captured of `wirelen` on the wire. */
    void (*on_udp)(void *ctx, const struct pkt_endpoint *src,
                   const struct pkt_endpoint *dst, const uint8_t *data,
                   size_t len, size_t wirelen, const struct pkt_info *pkt);
    /* A hint, before any other callback of a segment of an existing
     * connection: its state is about to be used (prefetch it). */
    void (*on_lookup)(void *ctx, struct flow_conn *c, int dir);
    /* A second hint, where delivery runs behind the table (flow_events.h):
     * one event before the segment on_lookup was told of, what it asked
     * for is in cache, and what that points to may be asked for. */
    void (*on_lookup_next)(void *ctx, struct flow_conn *c, int dir);
    /* Where delivery runs behind the table (flow_events.h): a note about
     * c's direction dir from the stage that claimed c (FLOW_STAGED). */
    void (*on_note)(void *ctx, struct flow_conn *c, int dir, const uint8_t *note,
                    size_t len, const struct pkt_info *pkt);
};

struct flow_config {
    void *ctx; /* passed to accept and is_server_port */
    /* Is a new connection interesting? Called with the key oriented client
     * -> server. NULL accepts all. Rejected connections get no entry, so this
     * is called again for their later packets: keep it cheap and pure. */
    bool (*accept)(void *ctx, const struct flow_key *k);
    /* Is `port` a server port (e.g. 1883)? Orients mid-stream pickups. */
    bool (*is_server_port)(void *ctx, uint16_t port);
    size_t conn_cap;         /* held bytes per connection; 0: 1 MiB; at most 1 GiB */
    size_t global_cap;       /* held bytes in all; 0: 16 MiB */
    int64_t idle_timeout_us; /* 0: 300 s; negative: never */
    size_t max_conns;        /* entries; 0: 262,144 (LRU evicted beyond) */
    bool no_checksum;        /* flow_table_frame: accept wrong checksums */
};

struct flow_stats {
    /* frames through flow_table_frame */
    uint64_t frames, link_unsupported, not_ip, truncated, malformed,
        fragments, other_proto;
    uint64_t bad_checksum;  /* dropped: a checksum provably wrong */
    /* IP fragments (counted in `fragments`) to whole datagrams (ipfrag.h) */
    uint64_t frag_reassembled, frag_conflicts, frag_discarded;
    uint64_t tcp_segments, udp_datagrams;
    /* accepted connections */
    uint64_t connections, packets, bytes;
    uint64_t closed_fin, closed_rst, evicted_idle, evicted_full;
    uint64_t reused;        /* closed by a new SYN on the same 4-tuple */
    uint64_t rst_ignored;   /* RSTs outside the window (RFC 5961) */
    /* data segments that came after their connection ended (FIN or RST)
     * with bytes it never delivered, and those bytes: not decoded */
    uint64_t after_close_segments, after_close_bytes;
    uint64_t cap_flushes;   /* holes given up because a cap was reached */
    uint64_t entries_now;   /* entries in the table, closed ones included */
    struct reasm_stats reasm; /* out-of-order, duplicates, conflicts, gaps */
};

struct flow_table;

/* NULL on allocation failure. `sink` is copied. */
struct flow_table *flow_table_new(const struct flow_config *cfg,
                                  const struct flow_sink *sink);

/* Frees everything without callbacks (call flow_table_flush first). */
void flow_table_free(struct flow_table *ft);

/* One captured frame: link layer -> IP (fragments defragmented, ipfrag.h)
 * -> TCP/UDP (decode.h) -> table.
 * Undecodable frames, and unless config.no_checksum those with a wrong
 * checksum (checksum.h: offload patterns are accepted), are counted in the
 * stats and otherwise ignored. */
void flow_table_frame(struct flow_table *ft, int dlt,
                      const struct pcap_pkthdr *hdr, const uint8_t *bytes,
                      uint64_t frame);

/* One decoded TCP segment / UDP datagram (for callers that decode). */
void flow_table_tcp(struct flow_table *ft, const struct ip_info *ip,
                    const struct tcp_info *tcp, const struct pkt_info *pkt);
void flow_table_udp(struct flow_table *ft, const struct ip_info *ip,
                    const struct udp_info *udp, const struct pkt_info *pkt);

/* End of capture: every open connection delivers what it can (gaps for
 * holes) and is closed with FLOW_CLOSE_END_OF_CAPTURE; the table empties.
 * `pkt` is the last packet seen (or NULL: the table uses its own). */
void flow_table_flush(struct flow_table *ft, const struct pkt_info *pkt);

const struct flow_stats *flow_table_stats(const struct flow_table *ft);

/* The number of the connection the last flow_table_frame's segment belongs
 * to (a straggler of a closed one included); 0: none (not TCP, rejected,
 * undecodable, an IP fragment that did not complete its datagram). */
uint64_t flow_table_frame_conn(const struct flow_table *ft);

/* For an IP fragment, the last flow_table_frame's: a nonzero number that
 * names its datagram (a hash of addresses, protocol and identification),
 * the same for every fragment of it, the one that completes it included
 * (whose connection flow_table_frame_conn then gives); 0: not a fragment.
 * So that -w can write a datagram's earlier fragments too. */
uint32_t flow_table_frame_fragment(const struct flow_table *ft);

/* Name of a close reason: "FIN", "RST", "IDLE", "EVICTED", "END",
 * "REUSED". */
const char *flow_close_reason_name(enum flow_close_reason r);

#endif
