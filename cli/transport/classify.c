/* Pure classifiers: the first bytes of a connection, and a run of MQTT
 * frames in a stream picked up mid-stream. See classify.h. */
#include "transport/classify.h"

#include <stdlib.h>
#include <string.h>

#include "mqttdissect/mqd.h"
#include "transport/tls_hello.h"
#include "util/wire.h"

/* ---- the first bytes ---- */

/* MQTT 3.1.1 3.1.2.1 / 5.0 3.1.2.1: a CONNECT is 0x10, the remaining length,
 * then the protocol name "MQTT" (3.1.1, 5.0) or "MQIsdp" (3.1). */
static enum classify_start looks_like_connect(const uint8_t *data, size_t len)
{
    if (len == 0)
        return CLASSIFY_MORE;
    mqd_fixed_header h; /* the remaining length: 1 to 4 bytes (s1.5.5) */
    mqd_result r = mqd_fixed_header_read(data, len, &h);
    if (h.header != 0x10)
        return CLASSIFY_NONE;
    if (r.status == MQD_NEED_MORE)
        return CLASSIFY_MORE;
    if (r.status != MQD_OK)
        return CLASSIFY_NONE;
    struct wire w = wire_make(data, len);
    uint8_t b;
    (void)wire_skip(&w, 1u + h.remaining.nbytes);
    static const uint8_t mqtt[] = {0, 4, 'M', 'Q', 'T', 'T'};
    static const uint8_t mqisdp[] = {0, 6, 'M', 'Q', 'I', 's', 'd', 'p'};
    bool may_mqtt = true, may_mqisdp = true;
    for (size_t i = 0; i < sizeof mqisdp; i++) {
        if (!wire_u8(&w, &b))
            return (may_mqtt || may_mqisdp) ? CLASSIFY_MORE : CLASSIFY_NONE;
        if (i < sizeof mqtt && b != mqtt[i])
            may_mqtt = false;
        if (b != mqisdp[i])
            may_mqisdp = false;
        if (i + 1 == sizeof mqtt && may_mqtt)
            return CLASSIFY_CONNECT;
        if (!may_mqtt && !may_mqisdp)
            return CLASSIFY_NONE;
    }
    return CLASSIFY_CONNECT;
}

static enum classify_start looks_like_get(const uint8_t *data, size_t len)
{
    static const char get[4] = {'G', 'E', 'T', ' '};
    struct wire w = wire_make(data, len);
    uint8_t b;
    for (size_t i = 0; i < sizeof get; i++) {
        if (!wire_u8(&w, &b))
            return CLASSIFY_MORE;
        if (b != (uint8_t)get[i])
            return CLASSIFY_NONE;
    }
    return CLASSIFY_HTTP_GET;
}

enum classify_start classify_first_bytes(const uint8_t *data, size_t len)
{
    enum classify_start c = looks_like_connect(data, len);
    enum classify_start g = looks_like_get(data, len);
    int t = tls_looks_like_client_hello(data, len);
    if (c == CLASSIFY_CONNECT)
        return c;
    if (g == CLASSIFY_HTTP_GET)
        return g;
    if (t == 1)
        return CLASSIFY_TLS_HELLO;
    if (c == CLASSIFY_MORE || g == CLASSIFY_MORE || t < 0)
        return CLASSIFY_MORE;
    return CLASSIFY_NONE;
}

/* ---- mid-stream: a run of well-formed frames ---- */

enum frame_verdict { FV_GOOD, FV_BAD, FV_WAIT };

/* Judges the frame at buf[0..len) by the library's boundary rule
 * (mqd_stream_boundary, the same as the stream decoder's resynchronisation)
 * under 3.1.1 and 5.0, the version not being known yet, and takes the
 * better verdict. *size is its size when whole. A frame that ends exactly at
 * len is judged only once more bytes come (the run goes on past it) or,
 * when `final`, on its own. */
static enum frame_verdict judge_frame(const uint8_t *buf, size_t len, bool final,
                                      size_t *size)
{
    uint32_t size311 = 0, size5 = 0;
    mqd_boundary v311 = mqd_stream_boundary(buf, len, MQD_V311, final, &size311);
    mqd_boundary v5 = mqd_stream_boundary(buf, len, MQD_V5, final, &size5);
    mqd_boundary v = v311 > v5 ? v311 : v5;
    *size = size311 ? size311 : size5; /* one header, the same size */
    if (v == MQD_BOUNDARY_YES && *size == len && !final)
        v = MQD_BOUNDARY_WAIT;
    return v == MQD_BOUNDARY_YES ? FV_GOOD : v == MQD_BOUNDARY_WAIT ? FV_WAIT : FV_BAD;
}

/* Whether buf[0] can begin a frame under some version: the library's
 * plausibility of the header byte alone (type and flags; s2.1.3 / s2.2.2).
 * A frame whose first byte cannot is refused by mqd_stream_boundary under
 * every version, whatever follows. */
static bool header_byte_can_start(const uint8_t *buf)
{
    return mqd_frame_plausibility(buf, 1, MQD_V5) > 0;
}

/* True when the run at buf[0] is refused on its headers alone, before any
 * frame is parsed: a frame of it starts with a byte that cannot begin one
 * (or has a remaining length of five bytes), and every frame before that
 * one is whole with bytes after it (judged good or bad then, never
 * waiting), so judge_run's verdict is FV_BAD whatever their bodies. The
 * search judges every offset of its window, and in data that is not MQTT
 * about one in ten starts with a legal header byte: most of those runs end
 * here instead of parsing a frame of up to the window's size twice. */
static bool run_refused_by_headers(const uint8_t *buf, size_t len)
{
    size_t pos = 0;
    for (int n = 0; n < CLASSIFY_CHAIN && pos < len; n++) {
        if (!header_byte_can_start(buf + pos))
            return true;
        mqd_fixed_header h;
        mqd_result r = mqd_fixed_header_read(buf + pos, len - pos, &h);
        if (r.status != MQD_OK || r.size >= len - pos)
            return r.status == MQD_ERROR;
        pos += r.size;
    }
    return false;
}

/* The verdict on a run starting at buf[0]. FV_WAIT: *ready is the length
 * of buf before which it stays FV_WAIT or turns FV_BAD, never FV_GOOD (the
 * end of a frame not yet whole, else one more byte). */
static enum frame_verdict judge_run(const uint8_t *buf, size_t len, bool final,
                                    size_t *ready)
{
    size_t pos = 0;
    *ready = len + 1;
    if (run_refused_by_headers(buf, len))
        return FV_BAD;
    for (int n = 0; n < CLASSIFY_CHAIN; n++) {
        if (pos == len) /* the run ends with the data */
            return final && n > 0 ? FV_GOOD : FV_WAIT;
        size_t size = 0;
        enum frame_verdict v = judge_frame(buf + pos, len - pos, final, &size);
        if (v == FV_WAIT && size > len - pos)
            *ready = pos + size; /* the frame is whole from there on */
        if (v != FV_GOOD)
            return v;
        pos += size;
    }
    return FV_GOOD;
}

void classify_scan_reset(struct classify_scan *s)
{
    free(s->wait);
    memset(s, 0, sizeof *s);
}

/* Lists offset `off` as waiting until the buffer holds `ready` bytes. */
static bool scan_wait(struct classify_scan *s, size_t off, size_t ready)
{
    if (off > UINT32_MAX || ready > UINT32_MAX)
        return false;
    if (s->nwait == s->capwait) {
        size_t cap = s->capwait ? 2 * s->capwait : 16;
        struct classify_wait *w = realloc(s->wait, cap * sizeof *w);
        if (!w)
            return false;
        s->wait = w;
        s->capwait = cap;
    }
    s->wait[s->nwait++] = (struct classify_wait){(uint32_t)off, (uint32_t)ready};
    return true;
}

enum classify_chain_result classify_frame_chain(const uint8_t *buf, size_t len,
                                                struct classify_scan *s, bool final,
                                                size_t *start)
{
    /* The waiting offsets first (they lie before the frontier), those whose
     * bytes came (all of them when `final`). */
    size_t kept = 0;
    for (size_t k = 0; k < s->nwait; k++) {
        struct classify_wait w = s->wait[k];
        if (!final && w.ready > len) {
            s->wait[kept++] = w;
            continue;
        }
        size_t ready;
        enum frame_verdict v = judge_run(buf + w.off, len - w.off, final, &ready);
        if (v == FV_GOOD) {
            *start = w.off;
            s->nwait = kept; /* the search is over */
            return CHAIN_FOUND;
        }
        if (v == FV_WAIT) {
            w.ready = (uint32_t)(w.off + ready);
            s->wait[kept++] = w;
        }
    }
    s->nwait = kept;
    for (size_t i = s->frontier; i < len; i++) {
        size_t ready;
        enum frame_verdict v = judge_run(buf + i, len - i, final, &ready);
        if (v == FV_GOOD) {
            *start = i;
            return CHAIN_FOUND;
        }
        if (v == FV_WAIT && !scan_wait(s, i, i + ready))
            return final ? CHAIN_NONE : CHAIN_MORE; /* judged again next time */
        s->frontier = i + 1;
    }
    return final ? CHAIN_NONE : CHAIN_MORE;
}

bool classify_whole_frames(const uint8_t *buf, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        size_t size = 0;
        if (judge_frame(buf + pos, len - pos, true, &size) != FV_GOOD || size == 0)
            return false;
        pos += size;
    }
    return len > 0;
}
