/* Fuzz target "ws": the WebSocket decoder (cli/websocket.h).
 *
 * Input: data[0] picks a chunk size (low 4 bits: 1..15, or 0: whole
 * records) and, with bit 4, a connection picked up mid-stream; the rest
 * is a sequence of records, each a header byte h (direction h >> 7, length
 * (h & 0x7F) + 1) and that many bytes of the direction's TCP stream; a
 * record with h & 0x7F == 0x7F is instead a hole (ws_gap) of as many bytes
 * as the byte after it says, plus one. The
 * records are fed in order, once whole and once in chunks: both runs must
 * give the same events (kind, direction, offset, bytes, close code, rule),
 * handshake strings must be terminated, payload pieces bounded, offsets
 * never go backwards in a direction. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"
#include "transport/websocket.h"

#define WS_MAX_EVENTS 4096

struct ws_log {
    size_t n;
    uint64_t last_off[2];
    struct {
        int kind, dir;
        uint64_t offset;
        size_t len;
        uint64_t hash;
        unsigned close_code;
        const char *rule;
    } ev[WS_MAX_EVENTS];
};

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

static bool terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

static void check_handshake(const struct ws_handshake *hs)
{
    FUZZ_CHECK(terminated(hs->path, sizeof hs->path), "path");
    FUZZ_CHECK(terminated(hs->host, sizeof hs->host), "host");
    FUZZ_CHECK(terminated(hs->protocol, sizeof hs->protocol), "protocol");
    FUZZ_CHECK(terminated(hs->key, sizeof hs->key), "key");
    FUZZ_CHECK(terminated(hs->accept, sizeof hs->accept), "accept");
    FUZZ_CHECK(terminated(hs->extensions, sizeof hs->extensions), "extensions");
    FUZZ_CHECK(terminated(hs->version, sizeof hs->version), "version");
}

static void on_ws_event(void *ctx, const struct ws_event *ev)
{
    struct ws_log *log = ctx;
    FUZZ_CHECK(ev->dir == 0 || ev->dir == 1, "direction");
    FUZZ_CHECK(ev->offset >= log->last_off[ev->dir], "offset went back");
    log->last_off[ev->dir] = ev->offset;
    if (ev->kind == WS_EV_REQUEST || ev->kind == WS_EV_RESPONSE) {
        FUZZ_CHECK(ev->hs != NULL, "handshake event without handshake");
        check_handshake(ev->hs);
    }
    if (ev->kind == WS_EV_CONTROL)
        FUZZ_CHECK(ev->len <= WS_CTRL_MAX, "control payload above 125");
    if (ev->kind == WS_EV_FRAME || ev->kind == WS_EV_CONTROL) {
        FUZZ_CHECK(ev->frame != NULL, "frame event without frame");
        FUZZ_CHECK(ev->frame->hdr_len >= 2 && ev->frame->hdr_len <= 14, "header length");
    }
    if (ev->kind == WS_EV_VIOLATION)
        FUZZ_CHECK(ev->rule && ev->message, "violation without rule");
    FUZZ_CHECK(ev->len == 0 || ev->data != NULL, "bytes without pointer");
    if (log->n >= WS_MAX_EVENTS)
        return;
    log->ev[log->n].kind = ev->kind;
    log->ev[log->n].dir = ev->dir;
    log->ev[log->n].offset = ev->offset;
    log->ev[log->n].close_code = ev->close_code;
    log->ev[log->n].rule = ev->kind == WS_EV_VIOLATION ? ev->rule : NULL;
    log->ev[log->n].len = ev->len;
    log->ev[log->n].hash = ev->len ? fnv1a(ev->data, ev->len) : 0;
    log->n++;
}

/* Data events may come in other pieces when the chunking differs: compare
 * them as one run of bytes per direction between the other events. */
static size_t normalise(struct ws_log *log, uint64_t *data_bytes)
{
    size_t out = 0;
    data_bytes[0] = data_bytes[1] = 0;
    for (size_t i = 0; i < log->n; i++) {
        if (log->ev[i].kind == WS_EV_DATA) {
            data_bytes[log->ev[i].dir] += log->ev[i].len;
            continue;
        }
        log->ev[out] = log->ev[i];
        log->ev[out].offset = 0; /* where a piece starts depends on chunking */
        out++;
    }
    return out;
}

struct ws_play {
    struct ws_conn *ws;
    struct ws_log *log;
};

static void ws_play_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
    struct ws_play *w = ctx;
    ws_feed(w->ws, dir, p, n, on_ws_event, w->log);
}

static void ws_play_gap(void *ctx, int dir, uint64_t n)
{
    struct ws_play *w = ctx;
    (void)ws_gap(w->ws, dir, n);
}

static void run(const uint8_t *data, size_t size, size_t chunk, bool midstream,
                struct ws_conn *ws, struct ws_log *log)
{
    if (midstream)
        ws_start_midstream(ws);
    else
        ws_init(ws);
    memset(log, 0, sizeof *log);
    struct ws_play play = {ws, log};
    fuzz_play_script(data, size, chunk, ws_play_feed, ws_play_gap, &play);
}

void fuzz_ws(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    size_t chunk = data[0] & 0x0F;
    bool midstream = (data[0] & 0x10) != 0;
    static struct ws_conn ws;
    static struct ws_log whole, chunked;
    run(data + 1, size - 1, 0, midstream, &ws, &whole);
    run(data + 1, size - 1, chunk ? chunk : 1, midstream, &ws, &chunked);
    if (whole.n >= WS_MAX_EVENTS || chunked.n >= WS_MAX_EVENTS)
        return;
    uint64_t bytes_whole[2], bytes_chunked[2];
    size_t n1 = normalise(&whole, bytes_whole);
    size_t n2 = normalise(&chunked, bytes_chunked);
    FUZZ_CHECK(n1 == n2, "chunking changed the number of events");
    FUZZ_CHECK(bytes_whole[0] == bytes_chunked[0] && bytes_whole[1] == bytes_chunked[1],
               "chunking changed the payload bytes");
    for (size_t i = 0; i < n1; i++) {
        FUZZ_CHECK(whole.ev[i].kind == chunked.ev[i].kind, "event kind differs");
        FUZZ_CHECK(whole.ev[i].dir == chunked.ev[i].dir, "event direction differs");
        FUZZ_CHECK(whole.ev[i].close_code == chunked.ev[i].close_code, "close code differs");
        FUZZ_CHECK(whole.ev[i].len == chunked.ev[i].len &&
                       whole.ev[i].hash == chunked.ev[i].hash,
                   "event bytes differ");
        FUZZ_CHECK((whole.ev[i].rule == NULL) == (chunked.ev[i].rule == NULL) &&
                       (!whole.ev[i].rule || strcmp(whole.ev[i].rule, chunked.ev[i].rule) == 0),
                   "violation differs");
    }
}
