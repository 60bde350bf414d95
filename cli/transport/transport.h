/* Routing a TCP connection (transport_*): what it carries, decided from its
 * first bytes, and the transport layer under MQTT: plain TCP, WebSocket
 * (websocket.h) or TLS (tls_hello.h, reported; with a key log also
 * decrypted, tls_decrypt.h, and what is inside decoded as MQTT).
 *
 * A connection on an MQTT port (-p, 1883) is MQTT at once and costs nothing
 * here: the pipeline feeds its bytes straight to the MQTT stream decoder. Any
 * other accepted connection is classified once, from the client's first
 * bytes (at most 16 are held):
 *   CONNECT with protocol name "MQTT" / "MQIsdp"  -> MQTT       how "connect"
 *   "GET " and an Upgrade: websocket request     -> WebSocket  how "websocket"
 *   a TLS record with a ClientHello               -> TLS        how "tls"
 * and else ignored (the pipeline then drops its state: later segments cost a
 * table lookup). On other ports than the WebSocket ones (8080, 8083, 9001,
 * 443) a WebSocket must ask for the "mqtt"/"mqttv3.1" subprotocol, and TLS
 * off the TLS ports must offer an ALPN protocol naming MQTT.
 *
 * Before any of this, a connection seen from its start may begin with a
 * PROXY protocol header (proxy.h) from a load balancer: it is stripped,
 * reported as an event "proxy", and its client address kept (proxied_src).
 *
 * A connection picked up mid-stream has no first bytes. There each direction
 * buffers (boundedly) until a run of CLASSIFY_CHAIN well-formed MQTT frames,
 * one right after the other, shows where a frame starts (how "heuristic").
 * The classifiers themselves are pure and live in classify.h.
 *
 * The transport reports up only through its sink (struct transport_sink):
 * MQTT bytes, skips, resyncs, event records (record.h) and the
 * classification, each with the packet that brought the bytes.
 */
#ifndef MQD_CLI_TRANSPORT_H
#define MQD_CLI_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/endpoint.h"
#include "record.h"
#include "transport/classify.h"
#include "transport/proxy.h"
#include "transport/tls_decrypt.h"
#include "transport/tls_hello.h"
#include "transport/tls_keylog.h"
#include "transport/websocket.h"

#define TRANSPORT_FIRST_MAX 16
#define TRANSPORT_SEARCH_PORT (64u << 10) /* mid-stream look-ahead, MQTT ports */
#define TRANSPORT_SEARCH_ANY (16u << 10)  /* mid-stream look-ahead, other ports */

enum transport_kind {
    TR_PENDING,   /* waiting for the client's first bytes */
    TR_SEARCH,    /* mid-stream: looking for a frame boundary */
    TR_MQTT,      /* MQTT over TCP: bytes go to the stream decoder */
    TR_WEBSOCKET, /* MQTT over WebSocket */
    TR_TLS,       /* TLS: hellos read and reported; with a key log the
                     records are decrypted and their bytes are MQTT */
    TR_IGNORED,   /* not MQTT: drop */
    TR_WSS        /* never a kind: told to the sink's classified() when a
                     decrypted TLS connection turns out to carry WebSocket
                     (the connection stays TR_TLS) */
};

/* How a connection is routed; filled by the caller (the pipeline) from
 * its options. */
struct transport_cfg {
    uint16_t server_port;
    bool mqtt_port;   /* -p / 1883: MQTT, no detection */
    bool tls_port;    /* --tls-port / 8883: TLS */
    bool ws_port;     /* transport_is_ws_port: 8080, 8083, 9001, 443 */
    bool heuristics;  /* not --no-heuristics */
    bool midstream;   /* FLOW_MIDSTREAM */
    bool verbose;     /* ws_frame and ws_handshake records */
    struct tls_keylog *keylog; /* --tls-keylog: decrypt TLS; NULL: do not */
    bool tls_relayed; /* a TLS port's connection decrypted on another
                         thread (tls_relay.h): what it says comes through
                         transport_relayed, keylog is not used here */
};

/* How the transport talks back to the pipeline. `pkt` is the packet that
 * brought the bytes reported (while held bytes of a mid-stream search are
 * replayed, an earlier one than the packet being processed), so messages
 * and events carry its frame number and time; NULL when the caller gave
 * none. */
struct transport_sink {
    void *ctx;
    /* Bytes of direction dir's MQTT byte stream. */
    void (*mqtt)(void *ctx, int dir, const uint8_t *data, size_t len,
                 const struct pkt_info *pkt);
    /* Mid-stream: the first `skipped` bytes of dir are not MQTT; the next
     * bytes given to mqtt() start a frame. */
    void (*skip)(void *ctx, int dir, uint64_t skipped);
    /* Mid-stream: no boundary found; the stream decoder must resynchronise
     * on the bytes that follow. */
    void (*resync)(void *ctx, int dir);
    /* An event record about direction dir at stream offset `offset`; its
     * strings live until the call returns. */
    void (*event)(void *ctx, int dir, uint64_t offset,
                  const struct event_record *ev, const struct pkt_info *pkt);
    /* The connection is now `kind` (TR_MQTT, TR_WEBSOCKET, TR_TLS), or a
     * TR_TLS connection carries WebSocket (TR_WSS). */
    void (*classified)(void *ctx, int kind);
    /* n bytes of dir's MQTT byte stream were lost (decrypted TLS: told when
     * the records after a hole decrypt again; TLS_DEC_LOST_UNKNOWN: how
     * many is not known, the stream decoder must resynchronise). */
    void (*gap)(void *ctx, int dir, uint64_t n);
};

#define TRANSPORT_MARKS 32 /* packets remembered per search buffer */

/* Bytes buf[..end) of a search buffer came with packet pkt. */
struct search_mark {
    size_t end;
    struct pkt_info pkt;
};

struct mqtt_search {
    uint8_t *buf;
    size_t len, cap;
    struct classify_scan scan; /* where the search for a run stands */
    uint64_t dropped; /* bytes given up on (gaps, window moves) */
    bool done;
    struct search_mark marks[TRANSPORT_MARKS];
    unsigned nmarks;
};

/* A TLS connection's state, allocated when TLS is seen (transport_tls.c):
 * the hellos until they are reported, the decryptor with a key log, and
 * while decrypted bytes are handed up the record they came in
 * (transport_tls_record); rec_serial counts the records. One cache line,
 * the decryptor in the same allocation right after it. */
struct transport_tls {
    struct tls_decrypt *dec; /* with a key log */
    struct tls_hello *hello; /* until the "tls" record is made; then NULL */
    uint64_t rec_serial;
    struct tls_record_meta rec;
    bool rec_set;
    bool reported;
    bool inner_known;        /* decided: MQTT, or WebSocket (ws set: wss) */
};

/* A connection being classified from its client's first bytes, and the
 * key log for when they turn out to be TLS. */
struct transport_first {
    uint8_t bytes[TRANSPORT_FIRST_MAX];
    struct tls_keylog *keylog;
};

/* How a connection was recognised (the "how" of its "detected" record;
 * transport_how_name). */
enum transport_how {
    TH_NONE,      /* not (yet) */
    TH_PORT,
    TH_CONNECT,
    TH_HEURISTIC,
    TH_WEBSOCKET,
    TH_WEBSOCKET_MIDSTREAM,
    TH_TLS,
    TH_WSS
};


/* Small: a plain MQTT connection (the common case, thousands at once) uses
 * only what is inline; the rest is allocated when a connection needs it. */
struct transport {
    uint8_t kind;           /* enum transport_kind */
    uint8_t first_len;
    /* PROXY protocol: proxy_state 1 while the client's first bytes may be
     * a header (held in proxy_buf, allocated when they start like one), 2
     * while the rest of a long v2 header is skipped; 0 after. */
    uint8_t proxy_state;
    bool tls_mqtt;          /* keys found: decrypted bytes go to MQTT */
    bool ws_found[2];       /* mid-stream WebSocket: a frame found per direction */
    uint16_t proxy_len;
    uint32_t proxy_skip;
    uint8_t how;            /* enum transport_how: how it was recognised */
    bool searching;         /* picked up mid-stream: `search`, not `first` */
    struct {                /* transport_cfg's, but for the key log */
        uint16_t server_port;
        bool mqtt_port, tls_port, ws_port, heuristics, midstream, verbose;
        bool tls_relayed;
    } cfg;
    union { /* never both: one is made by transport_open, for good */
        struct transport_first *first; /* TR_PENDING only */
        struct mqtt_search *search; /* TR_SEARCH only (searching): one per
                                       direction */
    };
    struct ws_conn *ws;     /* TR_WEBSOCKET, or inside TLS (wss) */
    struct transport_tls *tls; /* TR_TLS */
    uint8_t *proxy_buf;
    char *proxied_src;      /* "ip:port" of the original client, or NULL */
};

/* How t was recognised: "port", "connect", ...; NULL: not yet. */
const char *transport_how_name(const struct transport *t);

/* The usual WebSocket ports (8080, 8083, 9001, 443). */
bool transport_is_ws_port(uint16_t port);

/* The same ports as a list: sets *ports, returns how many. */
size_t transport_ws_ports(const uint16_t **ports);

/* Sets t up; t->kind is then TR_MQTT (an MQTT port), TR_TLS (a TLS port),
 * TR_SEARCH (mid-stream), TR_WEBSOCKET (mid-stream on a WebSocket port:
 * frames are searched for), TR_PENDING or TR_IGNORED. */
void transport_open(struct transport *t, const struct transport_cfg *cfg);

/* Bytes of direction dir (0: client), in stream order, brought by pkt. */
void transport_data(struct transport *t, int dir, const uint8_t *data,
                    size_t len, const struct pkt_info *pkt,
                    const struct transport_sink *sink);

/* What a hole in the TCP stream means for the MQTT stream above. */
enum transport_gap {
    TRANSPORT_GAP_HANDLED, /* nothing to tell it (not MQTT yet, or said
                              here: TLS tells once records decrypt again) */
    TRANSPORT_GAP_MQTT,    /* it lost exactly those bytes */
    TRANSPORT_GAP_FRAMED,  /* those bytes held framing of a layer between
                              (a WebSocket frame header): it lost fewer,
                              how many is not known; it is to look for its
                              next packet */
};

/* `len` bytes of dir were lost (pkt: the packet that showed it): what the
 * MQTT stream decoder of dir is to be told. What the layers here say about
 * it (TLS: a "tls_decrypt" record, status "gap") goes to sink. */
enum transport_gap transport_gap(struct transport *t, int dir, uint64_t len,
                                 const struct pkt_info *pkt,
                                 const struct transport_sink *sink);

/* End of the connection (pkt: the last packet): a search still under way
 * gives its bytes to the stream decoder (MQTT ports) or is dropped; TLS is
 * reported. */
void transport_close(struct transport *t, const struct pkt_info *pkt,
                     const struct transport_sink *sink);

void transport_free(struct transport *t);

/* A note from this connection's decryptor on another thread (tls_relay.h,
 * transport_cfg.tls_relayed) about direction dir, brought with pkt: the
 * plaintext, events and losses it tells go on as the connection's own
 * decryptor's would. */
void transport_relayed(struct transport *t, int dir, const uint8_t *note,
                       size_t len, const struct pkt_info *pkt,
                       const struct transport_sink *sink);

/* With thousands of connections their state is rarely in cache: asks for
 * the cache lines of t's TLS state that the next bytes of dir will read
 * (the decryptor's once its keys are found), without reading them. For
 * a caller that knows which connection comes next (the decoding thread,
 * a few events ahead); costs a test on other connections. */
void transport_tls_prefetch(const struct transport *t, int dir);
static inline void transport_prefetch(const struct transport *t, int dir)
{
    if (t->kind == TR_TLS)
        transport_tls_prefetch(t, dir);
}

/* A while after transport_prefetch (its lines are in): what they point to,
 * the TLS cipher context. */
void transport_tls_prefetch_next(const struct transport *t, int dir);
static inline void transport_prefetch_next(const struct transport *t, int dir)
{
    if (t->kind == TR_TLS)
        transport_tls_prefetch_next(t, dir);
}

/* Can the pipeline feed dir's bytes straight to the MQTT stream decoder
 * (MQTT over TCP, no PROXY header pending)? */
static inline bool transport_direct(const struct transport *t, int dir)
{
    return t->kind == TR_MQTT && (t->proxy_state == 0 || dir == 1);
}

/* During the sink's mqtt(): the decrypted TLS record the bytes came in
 * (msg_off and msg_len unset), and in *serial its number on the connection
 * (the same for every piece of one record); NULL when not from TLS. */
static inline const struct tls_record_meta *
transport_tls_record(const struct transport *t, uint64_t *serial)
{
    if (!t->tls) {
        *serial = 0;
        return NULL;
    }
    *serial = t->tls->rec_serial;
    return t->tls->rec_set ? &t->tls->rec : NULL;
}

/* Are bytes being handed up from a decrypted TLS record now? */
static inline bool transport_in_tls_record(const struct transport *t)
{
    return t->tls && t->tls->rec_set;
}

/* Do this transport's bytes reach the MQTT stream decoder? */
static inline bool transport_carries_mqtt(const struct transport *t)
{
    return t->kind == TR_MQTT || t->kind == TR_WEBSOCKET ||
           t->kind == TR_SEARCH || (t->kind == TR_TLS && t->tls_mqtt);
}

/* ... and is it known to be MQTT (not a search that found nothing)? */
static inline bool transport_is_mqtt(const struct transport *t)
{
    return transport_carries_mqtt(t) && t->how != TH_NONE;
}

#endif
