/* Pure classifiers: the first bytes of a connection, and a run of MQTT
 * frames in a stream picked up mid-stream. See classify.h. */
#include "transport/classify.h"

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

/* The verdict on a run starting at buf[0]. */
static enum frame_verdict judge_run(const uint8_t *buf, size_t len, bool final)
{
    size_t pos = 0;
    for (int n = 0; n < CLASSIFY_CHAIN; n++) {
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

enum classify_chain_result classify_frame_chain(const uint8_t *buf, size_t len,
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
