/* Routing a connection's bytes: MQTT over TCP, MQTT over WebSocket, TLS, or
 * nothing of interest, with the mid-stream search and the event records
 * the transport reports. See transport.h. */
#include "transport/transport_priv.h"

#include <stdlib.h>
#include <string.h>

#include "transport/classify.h"
#include "util/wire.h"
#include "util/hex.h"

_Thread_local struct transport_call transport_call;

/* ---- configuration ---- */

static const uint16_t ws_ports[] = {8080, 8083, 9001, 443};

bool transport_is_ws_port(uint16_t port)
{
    for (size_t i = 0; i < sizeof ws_ports / sizeof ws_ports[0]; i++)
        if (ws_ports[i] == port)
            return true;
    return false;
}

size_t transport_ws_ports(const uint16_t **ports)
{
    *ports = ws_ports;
    return sizeof ws_ports / sizeof ws_ports[0];
}

/* ---- events ---- */

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void transport_hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        hex_byte(out + 2 * i, p[i]);
    out[2 * n] = '\0';
}

static const char *const how_names[] = {
    [TH_NONE] = NULL,
    [TH_PORT] = "port",
    [TH_CONNECT] = "connect",
    [TH_HEURISTIC] = "heuristic",
    [TH_WEBSOCKET] = "websocket",
    [TH_WEBSOCKET_MIDSTREAM] = "websocket-midstream",
    [TH_TLS] = "tls",
    [TH_WSS] = "wss",
};

const char *transport_how_name(const struct transport *t)
{
    return t->how < sizeof how_names / sizeof how_names[0] ? how_names[t->how] : NULL;
}

void transport_report_detected(struct transport *t, enum transport_how how)
{
    t->how = (uint8_t)how;
    struct event_record e;
    event_init(&e, "detected");
    event_str(&e, "how", how_names[how]);
    event_u64(&e, "port", t->cfg.server_port);
    if (t->ws) {
        event_str(&e, "path", t->ws->req.path);
        if (t->ws->req.protocol[0])
            event_str(&e, "protocol", t->ws->req.protocol);
    }
    transport_emit(t, 0, 0, &e);
}

void transport_classify(struct transport *t, int kind, enum transport_how how)
{
    t->kind = kind;
    const struct transport_sink *s = transport_call.sink;
    if (s && s->classified)
        s->classified(s->ctx, kind == TR_SEARCH ? TR_MQTT : kind);
    /* Connections on the configured ports need no explanation. */
    if (!t->cfg.mqtt_port && !t->cfg.tls_port)
        transport_report_detected(t, how);
    else
        t->how = (uint8_t)how;
}

/* ---- WebSocket ---- */

/* The hex strings of a ws_frame record. */
struct ws_frame_hex {
    char mask[2 * 4 + 1];
    char header[2 * sizeof ((struct ws_frame *)0)->hdr + 1];
};

static void ws_frame_record(struct event_record *e, const struct ws_frame *f,
                            struct ws_frame_hex *hex)
{
    event_bool(e, "fin", f->fin);
    event_u64(e, "rsv", f->rsv);
    event_u64(e, "opcode", f->opcode);
    event_str(e, "opcode_name", ws_opcode_name(f->opcode));
    event_bool(e, "masked", f->masked);
    event_u64(e, "length", f->len);
    if (f->masked) {
        transport_hex(f->mask, 4, hex->mask);
        event_str(e, "mask", hex->mask);
    }
    transport_hex(f->hdr, f->hdr_len, hex->header);
    event_str(e, "header", hex->header);
}

/* A ws_close, ws_ping or ws_pong record; reason holds the close reason. */
static void ws_control_record(struct event_record *e, const struct ws_event *ev,
                              char reason[WS_CTRL_MAX + 1])
{
    if (ev->frame->opcode == WS_OP_CLOSE) {
        if (ev->len >= 2) {
            size_t n = 0;
            struct wire w = wire_make(ev->data, ev->len);
            uint8_t c;
            (void)wire_skip(&w, 2);
            while (wire_u8(&w, &c))
                reason[n++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
            reason[n] = '\0';
            event_u64(e, "code", ev->close_code);
            event_str(e, "reason", reason);
        }
    } else {
        event_u64(e, "length", ev->len);
    }
}

static void ws_response_record(struct event_record *e, const struct ws_handshake *hs)
{
    event_u64(e, "status", hs->status);
    event_str(e, "protocol", hs->protocol);
    event_bool(e, "accept_ok", hs->accept_ok);
    if (hs->extensions[0])
        event_str(e, "extensions", hs->extensions);
}

void transport_on_ws_event(void *ctx, const struct ws_event *ev)
{
    struct transport *t = ctx;
    struct event_record e;
    if (t->kind == TR_IGNORED)
        return;
    switch (ev->kind) {
    case WS_EV_REQUEST:
        if (t->kind == TR_TLS) { /* inside TLS: stays TLS, says what it carries */
            const struct transport_sink *s = transport_call.sink;
            if (s && s->classified)
                s->classified(s->ctx, TR_WSS);
            transport_report_detected(t, TH_WSS);
            break;
        }
        if (!t->cfg.ws_port && !ws_handshake_protocol_is_mqtt(ev->hs->protocol)) {
            t->kind = TR_IGNORED; /* some other WebSocket application */
            return;
        }
        transport_classify(t, TR_WEBSOCKET, TH_WEBSOCKET);
        break;
    case WS_EV_RESPONSE:
        if (t->cfg.verbose) {
            event_init(&e, "ws_handshake");
            ws_response_record(&e, ev->hs);
            transport_emit(t, 1, 0, &e);
        }
        break;
    case WS_EV_FRAME:
        if (t->cfg.verbose) {
            struct ws_frame_hex hex;
            event_init(&e, "ws_frame");
            ws_frame_record(&e, ev->frame, &hex);
            transport_emit(t, ev->dir, ev->offset, &e);
        }
        break;
    case WS_EV_DATA:
        if (ev->frame->msg_opcode == WS_OP_BINARY || ev->frame->msg_opcode == WS_OP_TEXT)
            transport_to_mqtt(t, ev->dir, ev->data, ev->len);
        break;
    case WS_EV_CONTROL: {
        char reason[WS_CTRL_MAX + 1];
        event_init(&e, ev->frame->opcode == WS_OP_CLOSE  ? "ws_close"
                       : ev->frame->opcode == WS_OP_PING ? "ws_ping"
                                                         : "ws_pong");
        ws_control_record(&e, ev, reason);
        transport_emit(t, ev->dir, ev->offset, &e);
        break;
    }
    case WS_EV_RESYNC: {
        /* The first frame of a connection picked up mid-stream, or frames
         * found again after a hole. */
        bool first = t->cfg.midstream && !t->ws_found[ev->dir];
        t->ws_found[ev->dir] = true;
        if (first && t->how == TH_NONE)
            transport_classify(t, TR_WEBSOCKET, TH_WEBSOCKET_MIDSTREAM);
        event_init(&e, first ? "midstream" : "ws_resync");
        event_u64(&e, "skipped", ev->skipped);
        transport_emit(t, ev->dir, ev->offset, &e);
        break;
    }
    case WS_EV_VIOLATION:
        event_init(&e, "ws_violation");
        event_str(&e, "rule", ev->rule);
        event_str(&e, "message", ev->message);
        transport_emit(t, ev->dir, ev->offset, &e);
        break;
    default:
        break;
    }
}

static void ws_data(struct transport *t, int dir, const uint8_t *data, size_t len)
{
    ws_feed(t->ws, dir, data, len, transport_on_ws_event, t);
    int hs = ws_handshake_state(t->ws);
    if (t->kind == TR_PENDING && hs == WS_HS_NOT_WS)
        t->kind = TR_IGNORED;
}

/* ---- mid-stream search ---- */

/* The packet that brought byte `off` of the buffer (NULL: unknown). */
static const struct pkt_info *mark_at(const struct mqtt_search *m, size_t off)
{
    for (unsigned i = 0; i < m->nmarks; i++)
        if (off < m->marks[i].end)
            return &m->marks[i].pkt;
    return NULL;
}

/* Gives buf[from..len) to the stream decoder, each piece under the packet
 * that brought it; bytes past the last mark under the packet of the piece
 * before them. Afterwards `call` (the packet of this call) is current again. */
static void replay(struct transport *t, int dir, size_t from,
                   const struct pkt_info *call)
{
    struct mqtt_search *m = &t->search[dir];
    for (unsigned i = 0; i < m->nmarks && from < m->len; i++) {
        size_t end = m->marks[i].end;
        if (end <= from)
            continue;
        transport_call.pkt = &m->marks[i].pkt;
        transport_to_mqtt(t, dir, m->buf + from, end - from);
        from = end;
    }
    transport_to_mqtt(t, dir, m->buf + from, m->len - from);
    if (call)
        transport_call.pkt = call;
}

static void search_found(struct transport *t, int dir, size_t start)
{
    struct mqtt_search *m = &t->search[dir];
    const struct transport_sink *s = transport_call.sink;
    const struct pkt_info *call = transport_call.pkt, *at = mark_at(m, start);
    if (at) /* the midstream and detected records carry the frame's packet */
        transport_call.pkt = at;
    if (!t->cfg.mqtt_port && t->how == TH_NONE)
        transport_classify(t, TR_SEARCH, TH_HEURISTIC);
    m->done = true;
    classify_scan_reset(&m->scan);
    uint64_t skipped = m->dropped + start;
    if (s && s->skip)
        s->skip(s->ctx, dir, skipped);
    struct event_record e;
    event_init(&e, "midstream");
    event_u64(&e, "skipped", skipped);
    transport_emit(t, dir, skipped, &e);
    replay(t, dir, start, call);
}

/* No boundary: an MQTT connection lets the stream decoder resynchronise;
 * anything else gives up on this direction. */
static void search_failed(struct transport *t, int dir)
{
    struct mqtt_search *m = &t->search[dir];
    const struct transport_sink *s = transport_call.sink;
    m->done = true;
    classify_scan_reset(&m->scan);
    if (t->cfg.mqtt_port || t->how != TH_NONE) {
        if (s && s->resync)
            s->resync(s->ctx, dir);
        replay(t, dir, 0, transport_call.pkt);
    }
}

static void search_settled(struct transport *t)
{
    struct mqtt_search *m = t->search;
    for (int i = 0; i < 2; i++) {
        free(m[i].buf);
        m[i].buf = NULL;
    }
    if (!t->cfg.mqtt_port && t->how == TH_NONE)
        t->kind = TR_IGNORED;
    else
        t->kind = TR_MQTT; /* from now on the pipeline's fast path */
}

/* Remembers that the buffer up to m->len came with pkt; when the marks run
 * out the last one grows (its bytes then carry the latest packet). */
static void search_mark(struct mqtt_search *m, const struct pkt_info *pkt)
{
    if (!pkt)
        return;
    if (m->nmarks == TRANSPORT_MARKS)
        m->nmarks--;
    m->marks[m->nmarks].end = m->len;
    m->marks[m->nmarks].pkt = *pkt;
    m->nmarks++;
}

static bool search_append(struct mqtt_search *m, const uint8_t *data, size_t len,
                          const struct pkt_info *pkt)
{
    if (m->len + len > m->cap)
        len = m->cap - m->len;
    if (!m->buf && (m->buf = malloc(m->cap)) == NULL)
        return false;
    memcpy(m->buf + m->len, data, len);
    m->len += len;
    search_mark(m, pkt);
    return true;
}

static void search_step(struct transport *t, int dir, bool final)
{
    struct mqtt_search *m = &t->search[dir];
    size_t start = 0;
    enum classify_chain_result r =
        classify_frame_chain(m->buf, m->len, &m->scan, final || m->len == m->cap, &start);
    if (r == CHAIN_FOUND)
        search_found(t, dir, start);
    else if (r == CHAIN_NONE)
        search_failed(t, dir);
}

/* On an MQTT port: the earliest segment still in the buffer from whose
 * start to the end of the buffer lie whole frames (classify_whole_frames).
 * True with its offset in *start. */
static bool search_segment_aligned(const struct mqtt_search *m, size_t *start)
{
    size_t from = 0;
    for (unsigned i = 0; i < m->nmarks; i++) {
        if (from < m->len && classify_whole_frames(m->buf + from, m->len - from)) {
            *start = from;
            return true;
        }
        from = m->marks[i].end;
    }
    return false;
}

static void search_data(struct transport *t, int dir, const uint8_t *data, size_t len)
{
    struct mqtt_search *m = &t->search[dir];
    if (m->done) {
        transport_to_mqtt(t, dir, data, len);
        return;
    }
    size_t before = m->len;
    if (!search_append(m, data, len, transport_call.pkt)) {
        search_failed(t, dir);
    } else {
        search_step(t, dir, false);
        size_t start;
        if (!m->done && t->cfg.mqtt_port && search_segment_aligned(m, &start))
            search_found(t, dir, start);
        size_t used = m->len - before;
        if (m->done && used < len && (t->cfg.mqtt_port || t->how != TH_NONE))
            transport_to_mqtt(t, dir, data + used, len - used); /* past the window */
    }
    if (t->search[0].done && t->search[1].done)
        search_settled(t);
}

/* ---- the entry points ---- */

void transport_open(struct transport *t, const struct transport_cfg *cfg)
{
    memset(t, 0, sizeof *t);
    t->cfg.server_port = cfg->server_port;
    t->cfg.mqtt_port = cfg->mqtt_port;
    t->cfg.tls_port = cfg->tls_port;
    t->cfg.ws_port = cfg->ws_port;
    t->cfg.heuristics = cfg->heuristics;
    t->cfg.midstream = cfg->midstream;
    t->cfg.verbose = cfg->verbose;
    if (cfg->tls_port) {
        t->cfg.tls_relayed = cfg->tls_relayed;
        t->kind = transport_tls_start(t, cfg->tls_relayed ? NULL : cfg->keylog)
                      ? TR_TLS : TR_IGNORED;
        t->how = TH_PORT;
    } else if (cfg->midstream && cfg->ws_port && !cfg->mqtt_port &&
               cfg->server_port != 443) {
        /* No handshake to see: frames are looked for (443 is left alone:
         * mostly TLS, whose records are never WebSocket frames). */
        t->ws = malloc(sizeof *t->ws);
        if (!t->ws) {
            t->kind = TR_IGNORED;
            return;
        }
        ws_start_midstream(t->ws);
        t->kind = TR_WEBSOCKET;
    } else if (cfg->midstream) {
        if (!cfg->mqtt_port && (!cfg->heuristics || cfg->ws_port)) {
            t->kind = TR_IGNORED; /* no handshake to see */
            return;
        }
        t->search = calloc(2, sizeof *t->search); /* mid-stream only */
        t->searching = t->search != NULL;
        if (!t->search) {
            t->kind = TR_IGNORED;
            return;
        }
        t->kind = TR_SEARCH;
        for (int i = 0; i < 2; i++)
            t->search[i].cap = cfg->mqtt_port ? TRANSPORT_SEARCH_PORT : TRANSPORT_SEARCH_ANY;
        if (cfg->mqtt_port)
            t->how = TH_PORT;
    } else if (cfg->mqtt_port) {
        t->kind = TR_MQTT;
        t->how = TH_PORT;
        t->proxy_state = 1;
    } else {
        t->first = malloc(sizeof *t->first);
        if (!t->first) {
            t->kind = TR_IGNORED;
            return;
        }
        t->first->keylog = cfg->keylog;
        t->kind = TR_PENDING;
        t->proxy_state = 1;
    }
}

/* The first bytes decide; they are then replayed to the chosen decoder. */
static void pending_data(struct transport *t, int dir, const uint8_t *data,
                         size_t len)
{
    if (dir != 0) {
        t->kind = TR_IGNORED; /* the server spoke first: not MQTT */
        return;
    }
    uint8_t *first = t->first->bytes;
    size_t take = TRANSPORT_FIRST_MAX - t->first_len;
    if (take > len)
        take = len;
    memcpy(first + t->first_len, data, take);
    t->first_len = (uint8_t)(t->first_len + take);
    switch (classify_first_bytes(first, t->first_len)) {
    case CLASSIFY_MORE:
        return;
    case CLASSIFY_CONNECT:
        transport_classify(t, TR_MQTT, TH_CONNECT);
        transport_to_mqtt(t, 0, first, t->first_len);
        transport_to_mqtt(t, 0, data + take, len - take);
        return;
    case CLASSIFY_HTTP_GET:
        if ((t->ws = malloc(sizeof *t->ws)) == NULL)
            break;
        ws_init(t->ws);
        ws_data(t, 0, first, t->first_len);
        if (t->kind != TR_IGNORED)
            ws_data(t, 0, data + take, len - take);
        return;
    case CLASSIFY_TLS_HELLO:
        if (!transport_tls_start(t, t->first->keylog))
            break;
        transport_tls_data(t, 0, first, t->first_len);
        if (t->kind != TR_IGNORED)
            transport_tls_data(t, 0, data + take, len - take);
        return;
    default:
        break;
    }
    t->kind = TR_IGNORED;
}

static void route(struct transport *t, int dir, const uint8_t *data,
                  size_t len);

static void proxy_end(struct transport *t)
{
    t->proxy_state = 0;
    free(t->proxy_buf);
    t->proxy_buf = NULL;
}

/* The header is known: the event, and the client's address kept. */
static void report_proxy(struct transport *t, const struct proxy_header *h,
                         long total)
{
    char src[64] = "", dst[64] = "";
    struct event_record e;
    event_init(&e, "proxy");
    event_u64(&e, "version", h->version);
    event_u64(&e, "bytes", (uint64_t)total);
    if (h->has_addr) {
        pkt_endpoint_format(&h->src, src, sizeof src);
        pkt_endpoint_format(&h->dst, dst, sizeof dst);
        event_str(&e, "client", src);
        event_str(&e, "server", dst);
        free(t->proxied_src);
        size_t n = strlen(src) + 1;
        t->proxied_src = malloc(n);
        if (t->proxied_src)
            memcpy(t->proxied_src, src, n);
    }
    transport_emit(t, 0, 0, &e);
}

/* The client's first bytes while they may be a PROXY header: returns how
 * many of data[0..len) it took (the rest goes on as usual). Bytes held
 * that turn out not to be a header are routed as usual first. */
static size_t proxy_data(struct transport *t, const uint8_t *data, size_t len)
{
    if (t->proxy_state == 2) {
        size_t n = len < t->proxy_skip ? len : t->proxy_skip;
        t->proxy_skip -= (uint32_t)n;
        if (t->proxy_skip == 0)
            proxy_end(t);
        return n;
    }
    struct proxy_header h;
    if (!t->proxy_buf) {
        long rc = proxy_parse(data, len, &h);
        if (rc == PROXY_NOT || rc == PROXY_MALFORMED) {
            proxy_end(t);
            return 0;
        }
        t->proxy_buf = malloc(PROXY_PARSE_MAX);
        if (!t->proxy_buf) {
            proxy_end(t);
            return 0;
        }
    }
    size_t before = t->proxy_len;
    size_t n = PROXY_PARSE_MAX - before < len ? PROXY_PARSE_MAX - before : len;
    memcpy(t->proxy_buf + before, data, n);
    t->proxy_len = (uint16_t)(before + n);
    long rc = proxy_parse(t->proxy_buf, t->proxy_len, &h);
    if (rc == PROXY_NEED_MORE && t->proxy_len < PROXY_PARSE_MAX)
        return n;
    if (rc <= 0) { /* not a header after all: what was held goes on */
        uint8_t held[PROXY_PARSE_MAX];
        size_t nheld = t->proxy_len;
        memcpy(held, t->proxy_buf, nheld);
        proxy_end(t);
        route(t, 0, held, nheld);
        return n;
    }
    report_proxy(t, &h, rc);
    uint64_t total = (uint64_t)rc;
    if (total <= t->proxy_len) { /* the header ends in what is held */
        uint8_t rest[PROXY_PARSE_MAX];
        size_t nrest = t->proxy_len - (size_t)total;
        memcpy(rest, t->proxy_buf + total, nrest);
        proxy_end(t);
        if (nrest)
            route(t, 0, rest, nrest);
        return n;
    }
    t->proxy_skip = (uint32_t)(total - t->proxy_len);
    free(t->proxy_buf);
    t->proxy_buf = NULL;
    t->proxy_state = 2;
    return n;
}

void transport_data(struct transport *t, int dir, const uint8_t *data,
                    size_t len, const struct pkt_info *pkt,
                    const struct transport_sink *sink)
{
    struct transport_call was = transport_call;
    transport_call = (struct transport_call){sink, pkt};
    if (dir == 0 && t->proxy_state) {
        size_t used = proxy_data(t, data, len);
        data += used;
        len -= used;
    }
    if (len)
        route(t, dir, data, len);
    transport_call = was;
}

static void route(struct transport *t, int dir, const uint8_t *data,
                  size_t len)
{
    switch (t->kind) {
    case TR_PENDING: /* still deciding; a handshake may be under way */
        if (t->ws)
            ws_data(t, dir, data, len);
        else if (t->tls)
            transport_tls_data(t, dir, data, len);
        else
            pending_data(t, dir, data, len);
        break;
    case TR_SEARCH: search_data(t, dir, data, len); break;
    case TR_MQTT: transport_to_mqtt(t, dir, data, len); break;
    case TR_WEBSOCKET: ws_data(t, dir, data, len); break;
    case TR_TLS: transport_tls_data(t, dir, data, len); break;
    default: break;
    }
}

static enum transport_gap gap_route(struct transport *t, int dir, uint64_t len);

enum transport_gap transport_gap(struct transport *t, int dir, uint64_t len,
                                 const struct pkt_info *pkt,
                                 const struct transport_sink *sink)
{
    struct transport_call was = transport_call;
    transport_call = (struct transport_call){sink, pkt};
    enum transport_gap tell = gap_route(t, dir, len);
    transport_call = was;
    return tell;
}

static enum transport_gap gap_route(struct transport *t, int dir, uint64_t len)
{
    if (dir == 0 && t->proxy_state)
        proxy_end(t); /* a hole in the first bytes: no header to look for */
    switch (t->kind) {
    case TR_MQTT:
        return TRANSPORT_GAP_MQTT;
    case TR_SEARCH: {
        struct mqtt_search *m = &t->search[dir & 1];
        if (m->done)
            return TRANSPORT_GAP_MQTT;
        m->dropped += m->len + len; /* start the search afresh */
        m->len = 0;
        classify_scan_reset(&m->scan);
        m->nmarks = 0;
        return TRANSPORT_GAP_HANDLED;
    }
    case TR_WEBSOCKET:
        /* A hole inside one frame's payload: the MQTT stream above lost
         * exactly these bytes. One that takes a frame header with it: the
         * frames are looked for again after it (ws_gap), and the MQTT
         * stream lost these bytes but the headers, how many is not known. */
        return ws_gap(t->ws, dir, len) ? TRANSPORT_GAP_MQTT : TRANSPORT_GAP_FRAMED;
    case TR_TLS:
        if (t->tls && t->tls->hello)
            t->tls->hello->dir[dir & 1].done = true;
        /* Records are looked for again after the hole; when they are found,
         * the decryptor tells how much of the stream above (WebSocket
         * frames, MQTT) is missing (on_tls_lost), not this hole's size. */
        if (t->tls && t->tls->dec)
            tls_decrypt_gap(t->tls->dec, dir, len);
        return TRANSPORT_GAP_HANDLED;
    default:
        t->kind = TR_IGNORED;
        return TRANSPORT_GAP_HANDLED;
    }
}

void transport_close(struct transport *t, const struct pkt_info *pkt,
                     const struct transport_sink *sink)
{
    struct transport_call was = transport_call;
    transport_call = (struct transport_call){sink, pkt};
    if (t->kind == TR_SEARCH) {
        for (int dir = 0; dir < 2; dir++)
            if (!t->search[dir].done && t->search[dir].len)
                search_step(t, dir, true);
    }
    if (t->kind == TR_TLS)
        transport_tls_report(t);
    transport_call = was;
}

void transport_free(struct transport *t)
{
    proxy_end(t);
    free(t->proxied_src);
    t->proxied_src = NULL;
    if (t->searching) {
        for (int i = 0; i < 2; i++) {
            free(t->search[i].buf);
            classify_scan_reset(&t->search[i].scan);
        }
        free(t->search);
        t->searching = false;
    } else {
        free(t->first);
    }
    t->search = NULL;
    t->first = NULL;
    free(t->ws);
    t->ws = NULL;
    transport_tls_free(t);
}
