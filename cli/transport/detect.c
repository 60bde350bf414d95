/* Classifying connections and routing their bytes: MQTT over TCP, MQTT over
 * WebSocket, TLS, or nothing of interest. See detect.h. */
#include "transport/detect.h"

#include <stdlib.h>
#include <string.h>

#include "mqttdissect/mqd.h"
#include "util/wire.h"

/* ---- configuration ---- */

bool detect_is_ws_port(uint16_t port)
{
    static const uint16_t ports[] = DETECT_WS_PORTS;
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        if (ports[i] == port)
            return true;
    return false;
}

void transport_config(struct transport_cfg *cfg, const struct options *o,
                      uint16_t server_port, bool midstream)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->server_port = server_port;
    cfg->mqtt_port = options_is_mqtt_port(o, server_port);
    cfg->tls_port = !cfg->mqtt_port && options_is_tls_port(o, server_port);
    cfg->ws_port = detect_is_ws_port(server_port);
    cfg->heuristics = !o->no_heuristics;
    cfg->midstream = midstream;
    cfg->verbose = o->verbose;
}

/* ---- the first bytes ---- */

/* MQTT 3.1.1 3.1.2.1 / 5.0 3.1.2.1: a CONNECT is 0x10, the remaining length,
 * then the protocol name "MQTT" (3.1.1, 5.0) or "MQIsdp" (3.1). */
static enum detect_start looks_like_connect(const uint8_t *data, size_t len)
{
    struct wire w = wire_make(data, len);
    uint8_t b;
    if (!wire_u8(&w, &b))
        return DETECT_MORE;
    if (b != 0x10)
        return DETECT_NONE;
    for (int i = 0;; i++) { /* the remaining length: 1 to 4 bytes */
        if (!wire_u8(&w, &b))
            return DETECT_MORE;
        if (!(b & 0x80))
            break;
        if (i == 3)
            return DETECT_NONE;
    }
    static const uint8_t mqtt[] = {0, 4, 'M', 'Q', 'T', 'T'};
    static const uint8_t mqisdp[] = {0, 6, 'M', 'Q', 'I', 's', 'd', 'p'};
    bool may_mqtt = true, may_mqisdp = true;
    for (size_t i = 0; i < sizeof mqisdp; i++) {
        if (!wire_u8(&w, &b))
            return (may_mqtt || may_mqisdp) ? DETECT_MORE : DETECT_NONE;
        if (i < sizeof mqtt && b != mqtt[i])
            may_mqtt = false;
        if (b != mqisdp[i])
            may_mqisdp = false;
        if (i + 1 == sizeof mqtt && may_mqtt)
            return DETECT_CONNECT;
        if (!may_mqtt && !may_mqisdp)
            return DETECT_NONE;
    }
    return DETECT_CONNECT;
}

static enum detect_start looks_like_get(const uint8_t *data, size_t len)
{
    static const char get[4] = {'G', 'E', 'T', ' '};
    struct wire w = wire_make(data, len);
    uint8_t b;
    for (size_t i = 0; i < sizeof get; i++) {
        if (!wire_u8(&w, &b))
            return DETECT_MORE;
        if (b != (uint8_t)get[i])
            return DETECT_NONE;
    }
    return DETECT_HTTP_GET;
}

enum detect_start detect_first_bytes(const uint8_t *data, size_t len)
{
    enum detect_start c = looks_like_connect(data, len);
    enum detect_start g = looks_like_get(data, len);
    int t = tls_looks_like_client_hello(data, len);
    if (c == DETECT_CONNECT)
        return c;
    if (g == DETECT_HTTP_GET)
        return g;
    if (t == 1)
        return DETECT_TLS_HELLO;
    if (c == DETECT_MORE || g == DETECT_MORE || t < 0)
        return DETECT_MORE;
    return DETECT_NONE;
}

/* ---- mid-stream: a run of well-formed frames ---- */

enum frame_verdict { FV_GOOD, FV_BAD, FV_WAIT };

/* Both 3.1.1 and 5.0 are tried: the version is not known yet. */
static int best_plausibility(const uint8_t *buf, size_t len)
{
    int a = mqd_frame_plausibility(buf, len, MQD_V311);
    int b = mqd_frame_plausibility(buf, len, MQD_V5);
    return a > b ? a : b;
}

/* Judges the frame at buf[0..len); *size is its size when whole. A frame is
 * good when it parses without errors and a plausible header follows it (the
 * scores of mqd_frame_plausibility); one that ends exactly at len is judged
 * only once more bytes come or, when `final`, on its own. */
static enum frame_verdict judge_frame(const uint8_t *buf, size_t len, bool final,
                                      size_t *size)
{
    mqd_fixed_header h;
    mqd_result r = mqd_fixed_header_read(buf, len, &h);
    if (r.status == MQD_ERROR)
        return FV_BAD;
    int score = best_plausibility(buf, len);
    if (r.status == MQD_NEED_MORE || r.size > len)
        return final || score < 10 ? FV_BAD : FV_WAIT;
    *size = r.size;
    if (r.size == len && !final)
        return score >= 30 ? FV_WAIT : FV_BAD;
    if (r.size == len)
        return score >= 35 ? FV_GOOD : FV_BAD;
    return score >= 50 ? FV_GOOD : FV_BAD;
}

/* The verdict on a run starting at buf[0]. */
static enum frame_verdict judge_run(const uint8_t *buf, size_t len, bool final)
{
    size_t pos = 0;
    for (int n = 0; n < DETECT_CHAIN; n++) {
        if (pos == len) /* the run ends with the data */
            return final && n > 0 ? FV_GOOD : FV_WAIT;
        size_t size = 0;
        enum frame_verdict v = judge_frame(buf + pos, len - pos, final, &size);
        if (v != FV_GOOD)
            return v;
        pos += size;
    }
    return FV_GOOD;
}

enum detect_chain_result detect_frame_chain(const uint8_t *buf, size_t len,
                                            size_t *scan, bool final,
                                            size_t *start)
{
    bool waiting = false;
    for (size_t i = *scan; i < len; i++) {
        enum frame_verdict v = judge_run(buf + i, len - i, final);
        if (v == FV_GOOD) {
            *start = i;
            return CHAIN_FOUND;
        }
        if (v == FV_BAD && !waiting)
            *scan = i + 1; /* ruled out for good */
        if (v == FV_WAIT)
            waiting = true;
    }
    return final ? CHAIN_NONE : CHAIN_MORE;
}

/* ---- events ---- */

static struct output *event(struct transport *t, int dir, uint64_t off,
                            const char *name)
{
    const struct transport_sink *s = t->sink;
    return s && s->event ? s->event(s->ctx, dir, off, name) : NULL;
}

static void report_detected(struct transport *t, const char *how)
{
    t->how = how;
    struct output *o = event(t, 0, 0, "detected");
    if (!o)
        return;
    output_event_str(o, "how", how);
    output_event_u64(o, "port", t->cfg.server_port);
    if (t->ws) {
        output_event_str(o, "path", t->ws->req.path);
        if (t->ws->req.protocol[0])
            output_event_str(o, "protocol", t->ws->req.protocol);
    }
    output_event_end(o);
}

static void classify(struct transport *t, int kind, const char *how)
{
    t->kind = kind;
    const struct transport_sink *s = t->sink;
    if (s && s->classified)
        s->classified(s->ctx, kind == TR_SEARCH ? TR_MQTT : kind);
    /* Connections on the configured ports need no explanation. */
    if (!t->cfg.mqtt_port && !t->cfg.tls_port)
        report_detected(t, how);
    else
        t->how = how;
}

static void to_mqtt(struct transport *t, int dir, const uint8_t *data, size_t len)
{
    const struct transport_sink *s = t->sink;
    if (len && s && s->mqtt)
        s->mqtt(s->ctx, dir, data, len);
}

/* ---- TLS ---- */

static void report_tls(struct transport *t)
{
    if (t->tls_reported || !t->tls)
        return;
    t->tls_reported = true;
    struct output *o = event(t, 0, 0, "tls");
    if (!o)
        return;
    const struct tls_info *i = &t->tls->info;
    char b[16];
    output_event_u64(o, "port", t->cfg.server_port);
    output_event_bool(o, "client_hello", i->client_hello);
    if (i->record_version)
        output_event_str(o, "record_version", tls_version_name(i->record_version, b, sizeof b));
    if (i->client_hello) {
        output_event_str(o, "client_version", tls_version_name(i->client_version, b, sizeof b));
        output_event_str(o, "client_max_version", tls_version_name(i->client_max_version, b, sizeof b));
        if (i->sni[0])
            output_event_str(o, "sni", i->sni);
        if (i->alpn[0])
            output_event_str(o, "alpn", i->alpn);
    }
    output_event_bool(o, "server_hello", i->server_hello);
    if (i->server_hello) {
        output_event_str(o, "server_version", tls_version_name(i->server_version, b, sizeof b));
        output_event_u64(o, "cipher_suite", i->cipher_suite);
        const char *name = tls_cipher_name(i->cipher_suite);
        if (name)
            output_event_str(o, "cipher", name);
        if (i->server_alpn[0])
            output_event_str(o, "server_alpn", i->server_alpn);
    }
    output_event_end(o);
}

static void tls_data(struct transport *t, int dir, const uint8_t *data, size_t len)
{
    if (t->tls_reported || !t->tls)
        return;
    bool was_done = tls_hello_dir_done(t->tls, 0);
    (void)tls_hello_feed(t->tls, dir, data, len);
    if (!was_done && tls_hello_dir_done(t->tls, 0) && t->kind == TR_PENDING) {
        /* Off the TLS ports, only TLS that offers MQTT by ALPN is ours. */
        const struct tls_info *i = &t->tls->info;
        if (!i->client_hello || !i->alpn_mqtt) {
            t->kind = TR_IGNORED;
            return;
        }
        classify(t, TR_TLS, "tls");
    }
    if (tls_hello_dir_done(t->tls, 0) && tls_hello_dir_done(t->tls, 1))
        report_tls(t);
}

/* ---- WebSocket ---- */

/* Lower-case hex of n bytes into out (2n+1 bytes). */
static void to_hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static void print_ws_frame(struct output *o, const struct ws_frame *f)
{
    char hex[2 * sizeof f->hdr + 1];
    output_event_bool(o, "fin", f->fin);
    output_event_u64(o, "rsv", f->rsv);
    output_event_u64(o, "opcode", f->opcode);
    output_event_str(o, "opcode_name", ws_opcode_name(f->opcode));
    output_event_bool(o, "masked", f->masked);
    output_event_u64(o, "length", f->len);
    if (f->masked) {
        to_hex(f->mask, 4, hex);
        output_event_str(o, "mask", hex);
    }
    to_hex(f->hdr, f->hdr_len, hex);
    output_event_str(o, "header", hex);
}

static void print_ws_control(struct output *o, const struct ws_event *ev)
{
    if (ev->frame->opcode == WS_OP_CLOSE) {
        if (ev->len >= 2) {
            char reason[WS_CTRL_MAX + 1];
            size_t n = 0;
            struct wire w = wire_make(ev->data, ev->len);
            uint8_t c;
            (void)wire_skip(&w, 2);
            while (wire_u8(&w, &c))
                reason[n++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
            reason[n] = '\0';
            output_event_u64(o, "code", ev->close_code);
            output_event_str(o, "reason", reason);
        }
    } else {
        output_event_u64(o, "length", ev->len);
    }
}

static void print_ws_response(struct output *o, const struct ws_handshake *hs)
{
    output_event_u64(o, "status", hs->status);
    output_event_str(o, "protocol", hs->protocol);
    output_event_bool(o, "accept_ok", hs->accept_ok);
    if (hs->extensions[0])
        output_event_str(o, "extensions", hs->extensions);
}

static void on_ws_event(void *ctx, const struct ws_event *ev)
{
    struct transport *t = ctx;
    struct output *o;
    if (t->kind == TR_IGNORED)
        return;
    switch (ev->kind) {
    case WS_EV_REQUEST:
        if (!t->cfg.ws_port && !ws_protocol_is_mqtt(ev->hs->protocol)) {
            t->kind = TR_IGNORED; /* some other WebSocket application */
            return;
        }
        classify(t, TR_WEBSOCKET, "websocket");
        break;
    case WS_EV_RESPONSE:
        if (t->cfg.verbose && (o = event(t, 1, 0, "ws_handshake"))) {
            print_ws_response(o, ev->hs);
            output_event_end(o);
        }
        break;
    case WS_EV_FRAME:
        if (t->cfg.verbose && (o = event(t, ev->dir, ev->offset, "ws_frame"))) {
            print_ws_frame(o, ev->frame);
            output_event_end(o);
        }
        break;
    case WS_EV_DATA:
        if (ev->frame->msg_opcode == WS_OP_BINARY || ev->frame->msg_opcode == WS_OP_TEXT)
            to_mqtt(t, ev->dir, ev->data, ev->len);
        break;
    case WS_EV_CONTROL: {
        const char *name = ev->frame->opcode == WS_OP_CLOSE  ? "ws_close"
                           : ev->frame->opcode == WS_OP_PING ? "ws_ping"
                                                             : "ws_pong";
        if ((o = event(t, ev->dir, ev->offset, name))) {
            print_ws_control(o, ev);
            output_event_end(o);
        }
        break;
    }
    case WS_EV_RESYNC: {
        /* The first frame of a connection picked up mid-stream, or frames
         * found again after a hole. */
        bool first = t->cfg.midstream && !t->ws_found[ev->dir];
        t->ws_found[ev->dir] = true;
        if (first && !t->how)
            classify(t, TR_WEBSOCKET, "websocket-midstream");
        if ((o = event(t, ev->dir, ev->offset, first ? "midstream" : "ws_resync"))) {
            output_event_u64(o, "skipped", ev->skipped);
            output_event_end(o);
        }
        break;
    }
    case WS_EV_VIOLATION:
        if ((o = event(t, ev->dir, ev->offset, "ws_violation"))) {
            output_event_str(o, "rule", ev->rule);
            output_event_str(o, "message", ev->message);
            output_event_end(o);
        }
        break;
    default:
        break;
    }
}

static void ws_data(struct transport *t, int dir, const uint8_t *data, size_t len)
{
    ws_feed(t->ws, dir, data, len, on_ws_event, t);
    int hs = ws_handshake_state(t->ws);
    if (t->kind == TR_PENDING && hs == WS_HS_NOT_WS)
        t->kind = TR_IGNORED;
}

/* ---- mid-stream search ---- */

static void set_packet(struct transport *t, const struct pkt_info *pkt)
{
    const struct transport_sink *s = t->sink;
    if (s && s->set_packet && pkt)
        s->set_packet(s->ctx, pkt);
}

/* The packet that brought byte `off` of the buffer (NULL: unknown). */
static const struct pkt_info *mark_at(const struct mqtt_search *m, size_t off)
{
    for (unsigned i = 0; i < m->nmarks; i++)
        if (off < m->marks[i].end)
            return &m->marks[i].pkt;
    return NULL;
}

/* Gives buf[from..len) to the stream decoder, each piece under the packet
 * that brought it. */
static void replay(struct transport *t, int dir, size_t from)
{
    struct mqtt_search *m = &t->search[dir];
    for (unsigned i = 0; i < m->nmarks && from < m->len; i++) {
        size_t end = m->marks[i].end;
        if (end <= from)
            continue;
        set_packet(t, &m->marks[i].pkt);
        to_mqtt(t, dir, m->buf + from, end - from);
        from = end;
    }
    to_mqtt(t, dir, m->buf + from, m->len - from);
    set_packet(t, t->sink ? t->sink->pkt : NULL);
}

static void search_found(struct transport *t, int dir, size_t start)
{
    struct mqtt_search *m = &t->search[dir];
    const struct transport_sink *s = t->sink;
    set_packet(t, mark_at(m, start));
    if (!t->cfg.mqtt_port && !t->how)
        classify(t, TR_SEARCH, "heuristic");
    m->done = true;
    uint64_t skipped = m->dropped + start;
    if (s && s->skip)
        s->skip(s->ctx, dir, skipped);
    struct output *o = event(t, dir, skipped, "midstream");
    if (o) {
        output_event_u64(o, "skipped", skipped);
        output_event_end(o);
    }
    replay(t, dir, start);
}

/* No boundary: an MQTT connection lets the stream decoder resynchronise;
 * anything else gives up on this direction. */
static void search_failed(struct transport *t, int dir)
{
    struct mqtt_search *m = &t->search[dir];
    const struct transport_sink *s = t->sink;
    m->done = true;
    if (t->cfg.mqtt_port || t->how) {
        if (s && s->resync)
            s->resync(s->ctx, dir);
        replay(t, dir, 0);
    }
}

static void search_settled(struct transport *t)
{
    struct mqtt_search *m = t->search;
    for (int i = 0; i < 2; i++) {
        free(m[i].buf);
        m[i].buf = NULL;
    }
    if (!t->cfg.mqtt_port && !t->how)
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
    if (m->nmarks == DETECT_MARKS)
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
    enum detect_chain_result r =
        detect_frame_chain(m->buf, m->len, &m->scan, final || m->len == m->cap, &start);
    if (r == CHAIN_FOUND)
        search_found(t, dir, start);
    else if (r == CHAIN_NONE)
        search_failed(t, dir);
}

static void search_data(struct transport *t, int dir, const uint8_t *data, size_t len)
{
    struct mqtt_search *m = &t->search[dir];
    if (m->done) {
        to_mqtt(t, dir, data, len);
        return;
    }
    size_t before = m->len;
    if (!search_append(m, data, len, t->sink ? t->sink->pkt : NULL)) {
        search_failed(t, dir);
    } else {
        search_step(t, dir, false);
        size_t used = m->len - before;
        if (m->done && used < len && (t->cfg.mqtt_port || t->how))
            to_mqtt(t, dir, data + used, len - used); /* past the window */
    }
    if (t->search[0].done && t->search[1].done)
        search_settled(t);
}

/* ---- the entry points ---- */

void transport_open(struct transport *t, const struct transport_cfg *cfg)
{
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    if (cfg->tls_port) {
        t->tls = calloc(1, sizeof *t->tls);
        t->kind = t->tls ? TR_TLS : TR_IGNORED;
        t->how = "port";
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
        if (!t->search) {
            t->kind = TR_IGNORED;
            return;
        }
        t->kind = TR_SEARCH;
        for (int i = 0; i < 2; i++)
            t->search[i].cap = cfg->mqtt_port ? DETECT_SEARCH_PORT : DETECT_SEARCH_ANY;
        if (cfg->mqtt_port)
            t->how = "port";
    } else if (cfg->mqtt_port) {
        t->kind = TR_MQTT;
        t->how = "port";
    } else {
        t->kind = TR_PENDING;
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
    size_t take = DETECT_FIRST_MAX - t->first_len;
    if (take > len)
        take = len;
    memcpy(t->first + t->first_len, data, take);
    t->first_len = (uint8_t)(t->first_len + take);
    switch (detect_first_bytes(t->first, t->first_len)) {
    case DETECT_MORE:
        return;
    case DETECT_CONNECT:
        classify(t, TR_MQTT, "connect");
        to_mqtt(t, 0, t->first, t->first_len);
        to_mqtt(t, 0, data + take, len - take);
        return;
    case DETECT_HTTP_GET:
        if ((t->ws = malloc(sizeof *t->ws)) == NULL)
            break;
        ws_init(t->ws);
        ws_data(t, 0, t->first, t->first_len);
        if (t->kind != TR_IGNORED)
            ws_data(t, 0, data + take, len - take);
        return;
    case DETECT_TLS_HELLO:
        if ((t->tls = calloc(1, sizeof *t->tls)) == NULL)
            break;
        tls_data(t, 0, t->first, t->first_len);
        if (t->kind != TR_IGNORED)
            tls_data(t, 0, data + take, len - take);
        return;
    default:
        break;
    }
    t->kind = TR_IGNORED;
}

void transport_data(struct transport *t, int dir, const uint8_t *data,
                    size_t len, const struct transport_sink *sink)
{
    t->sink = sink;
    switch (t->kind) {
    case TR_PENDING: /* still deciding; a handshake may be under way */
        if (t->ws)
            ws_data(t, dir, data, len);
        else if (t->tls)
            tls_data(t, dir, data, len);
        else
            pending_data(t, dir, data, len);
        break;
    case TR_SEARCH: search_data(t, dir, data, len); break;
    case TR_MQTT: to_mqtt(t, dir, data, len); break;
    case TR_WEBSOCKET: ws_data(t, dir, data, len); break;
    case TR_TLS: tls_data(t, dir, data, len); break;
    default: break;
    }
    t->sink = NULL;
}

bool transport_gap(struct transport *t, int dir, uint64_t len,
                   const struct transport_sink *sink)
{
    (void)sink;
    switch (t->kind) {
    case TR_MQTT:
        return true;
    case TR_SEARCH: {
        struct mqtt_search *m = &t->search[dir & 1];
        if (m->done)
            return true;
        m->dropped += m->len + len; /* start the search afresh */
        m->len = 0;
        m->scan = 0;
        m->nmarks = 0;
        return false;
    }
    case TR_WEBSOCKET:
        /* The frames are looked for again after the hole (ws_gap); the MQTT
         * stream above them has its hole too. */
        ws_gap(t->ws, dir, len);
        return true;
    case TR_TLS:
        if (t->tls)
            t->tls->dir[dir & 1].done = true;
        return false;
    default:
        t->kind = TR_IGNORED;
        return false;
    }
}

void transport_close(struct transport *t, const struct transport_sink *sink)
{
    t->sink = sink;
    if (t->kind == TR_SEARCH) {
        for (int dir = 0; dir < 2; dir++)
            if (!t->search[dir].done && t->search[dir].len)
                search_step(t, dir, true);
    }
    if (t->kind == TR_TLS)
        report_tls(t);
    t->sink = NULL;
}

void transport_free(struct transport *t)
{
    for (int i = 0; t->search && i < 2; i++)
        free(t->search[i].buf);
    free(t->search);
    t->search = NULL;
    free(t->ws);
    t->ws = NULL;
    if (t->tls) {
        tls_hello_free(t->tls);
        free(t->tls);
        t->tls = NULL;
    }
}
