/* The output layer: what the command prints for every MQTT control packet
 * and for every notable event (gaps, resyncs, ...). Two printers implement
 * it: annotated text (out_text.c) and JSON Lines (out_json.c). Both write
 * into one large buffer that goes to the FILE with fwrite when nearly full
 * and at output_flush(); nothing is written per message with stdio.
 *
 * Usage:
 *   struct output *o = output_open(OUTPUT_JSON, &opts);
 *   output_frame(o, &meta, &frame);                  per control packet
 *   output_event_begin(o, &meta, "gap");             per event:
 *   output_event_u64(o, "missing", 1234);            any number of fields
 *   output_event_end(o);
 *   output_close(o);                                 flushes, frees
 */
#ifndef MQD_CLI_OUTPUT_H
#define MQD_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttdissect/frame.h"

struct obuf; /* json_writer.h */

/* What connection-level analysis (cli/session.c) adds to one message.
 * All zero: nothing to add. Pointers stay valid until the next message of
 * the same connection. */
struct msg_analysis {
    uint64_t reply_to;       /* capture frame of the packet this one answers
                                (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP,
                                SUBACK, UNSUBACK, PINGRESP); 0: none */
    int64_t latency_us;      /* time since that packet; valid when reply_to */
    uint64_t flow_start;     /* PUBREL, PUBCOMP: frame of the QoS 2 PUBLISH
                                that began the flow; 0: none */
    int64_t flow_latency_us; /* time since that PUBLISH */
    bool has_effective_topic; /* PUBLISH: effective_topic is set */
    bool topic_from_alias;    /* the topic came from a Topic Alias mapping */
    uint16_t effective_topic_len;
    const uint8_t *effective_topic;
    uint16_t granted_count;   /* SUBACK: filters of the SUBSCRIBE it answers, */
    uint32_t granted_len;     /* granted_count strings, each a 2-byte big */
    const uint8_t *granted;   /* endian length then the bytes; see msg_granted_next */
};

/* Walks analysis->granted: true with the next filter in *s, *len. */
static inline bool msg_granted_next(const struct msg_analysis *a, uint32_t *pos,
                                    const uint8_t **s, uint16_t *len)
{
    if (!a->granted || *pos > a->granted_len || a->granted_len - *pos < 2)
        return false;
    uint16_t n = (uint16_t)((a->granted[*pos] << 8) | a->granted[*pos + 1]);
    if (a->granted_len - *pos - 2 < n)
        return false;
    *s = a->granted + *pos + 2;
    *len = n;
    *pos += 2u + n;
    return true;
}

/* Where and when a message was seen. */
struct msg_meta {
    uint64_t frame;        /* 1-based capture frame that completed the message */
    int64_t ts_us;         /* capture timestamp, microseconds since the epoch (UTC) */
    char src[64], dst[64]; /* "ip:port", IPv6 as "[addr]:port" */
    uint64_t conn;         /* connection number, 1-based */
    const char *transport; /* "tcp" (later "websocket", "udp"); NULL: "tcp" */
    uint64_t stream_off;   /* offset of the message in its direction's byte stream */
    struct msg_analysis an; /* connection-level analysis (cli/session.c) */
};

struct output_opts {
    bool verbose;         /* text: the annotated field tree under each line */
    bool show_secrets;    /* print passwords (and authentication data) */
    bool color;           /* text: ANSI colours */
    FILE *out;            /* where to write; NULL: stdout */
    uint32_t max_payload; /* JSON: payload bytes shown at most (0: all) */
    uint8_t payload_mode; /* enum payload_mode (payload_json.h): 0 auto */
    bool in_memory;       /* keep everything in memory (output_buffer) and
                             never write to `out` (out_parallel.c) */
};

enum output_format { OUTPUT_TEXT, OUTPUT_JSON };

struct output;

/* The functions each printer supplies. */
struct output_ops {
    void (*frame)(struct output *o, const struct msg_meta *m,
                  const mqd_frame *f);
    void (*event_begin)(struct output *o, const struct msg_meta *m,
                        const char *name);
    void (*event_u64)(struct output *o, const char *key, uint64_t v);
    void (*event_str)(struct output *o, const char *key, const char *s);
    void (*event_bool)(struct output *o, const char *key, bool v);
    void (*event_end)(struct output *o);
    int (*flush)(struct output *o);
    int (*close)(struct output *o); /* flushes and frees o */
    struct obuf *(*buffer)(struct output *o); /* see output_buffer */
};

struct output {
    const struct output_ops *ops;
};

/* Checked access to a frame's bytes: the only way the printers reach wire
 * bytes. Offsets and lengths come from the parser but are checked against
 * the frame's size before any byte is touched. */
static inline bool frame_bytes(const mqd_frame *f, uint32_t off, uint32_t len,
                               const uint8_t **out)
{
    if (!f->base || off > f->size || len > f->size - off)
        return false;
    *out = f->base + off;
    return true;
}

static inline bool frame_byte(const mqd_frame *f, uint32_t off, uint8_t *out)
{
    const uint8_t *p;
    if (!frame_bytes(f, off, 1, &p))
        return false;
    *out = *p;
    return true;
}

/* The data of a length-prefixed field (after its 2-byte prefix). */
static inline bool frame_str(const mqd_frame *f, const mqd_str *s,
                             const uint8_t **data, size_t *len)
{
    if (!s->present || s->off > UINT32_MAX - 2 ||
        !frame_bytes(f, s->off + 2, s->len, data))
        return false;
    *len = s->len;
    return true;
}

/* A run of bytes without prefix (payload, reason code list). */
static inline bool frame_run(const mqd_frame *f, uint32_t off, uint32_t len,
                             const uint8_t **data, size_t *n)
{
    if (!frame_bytes(f, off, len, data))
        return false;
    *n = len;
    return true;
}

/* Constructors (out_text.c, out_json.c): NULL when out of memory. */
struct output *out_text_open(const struct output_opts *opts);
struct output *out_json_open(const struct output_opts *opts);

static inline struct output *output_open(enum output_format fmt,
                                         const struct output_opts *opts)
{
    return fmt == OUTPUT_JSON ? out_json_open(opts) : out_text_open(opts);
}

/* One record for one decoded control packet. */
static inline void output_frame(struct output *o, const struct msg_meta *m,
                                const mqd_frame *f)
{
    o->ops->frame(o, m, f);
}

/* An event record: begin, any number of fields, end. Keys are the caller's
 * ASCII literals; string values are escaped. */
static inline void output_event_begin(struct output *o,
                                      const struct msg_meta *m,
                                      const char *name)
{
    o->ops->event_begin(o, m, name);
}

static inline void output_event_u64(struct output *o, const char *key,
                                    uint64_t v)
{
    o->ops->event_u64(o, key, v);
}

static inline void output_event_str(struct output *o, const char *key,
                                    const char *s)
{
    o->ops->event_str(o, key, s);
}

static inline void output_event_bool(struct output *o, const char *key,
                                     bool v)
{
    o->ops->event_bool(o, key, v);
}

static inline void output_event_end(struct output *o)
{
    o->ops->event_end(o);
}

/* Writes everything buffered. 0, or -1 when any write has failed. */
static inline int output_flush(struct output *o)
{
    return o->ops->flush(o);
}

/* A printer opened with opts.in_memory: the buffer holding what it has
 * printed (the caller takes the text and may swap in another buffer). */
static inline struct obuf *output_buffer(struct output *o)
{
    return o->ops->buffer ? o->ops->buffer(o) : NULL;
}

/* Flushes and frees. 0, or -1 when any write has failed. NULL is fine. */
static inline int output_close(struct output *o)
{
    return o ? o->ops->close(o) : 0;
}

#endif
