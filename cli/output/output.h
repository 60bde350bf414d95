/* The output layer: what the command prints for every MQTT control packet
 * and for every notable event (gaps, resyncs, ...). Three printers implement
 * it: annotated text (out_text.c), JSON Lines (out_json.c) and Suricata EVE
 * JSON (out_eve.c). Each writes into one large buffer that goes to the FILE
 * with fwrite when nearly full and at output_flush(); nothing is written per
 * message with stdio.
 *
 * Usage:
 *   struct output *o = output_open(OUTPUT_JSON, &opts);
 *   output_frame(o, &meta, &frame);                  per control packet
 *   output_sn(o, &meta, &sn_record);                 per MQTT-SN message
 *   output_event_begin(o, &meta, "gap");             per event:
 *   output_event_u64(o, "missing", 1234);            any number of fields
 *   output_event_end(o);
 *   output_capture(o, &counts);                      live capture counts
 *   output_close(o);                                 flushes, frees
 */
#ifndef MQD_CLI_OUTPUT_H
#define MQD_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttdissect/frame.h"
#include "record.h"

struct obuf; /* json_writer.h */

/* --decode FILTER=FORMAT: PUBLISH payloads on topics matching `filter` (an
 * MQTT topic filter, + and #) are shown as `mode` (enum payload_mode,
 * output/payload.h). The first matching rule wins. */
struct decode_rule {
    const char *filter; /* NUL-terminated, caller-owned */
    uint8_t mode;
};

struct output_opts {
    bool verbose;         /* text: the annotated field tree under each line */
    bool show_secrets;    /* print passwords (and authentication data) */
    bool color;           /* text: ANSI colours */
    FILE *out;            /* where to write; NULL: stdout */
    uint32_t max_payload; /* payload bytes shown at most (0: all); text
                             only when max_payload_set */
    bool max_payload_set; /* --max-payload given: text uses max_payload
                             instead of its own previews (text_limits.h) */
    uint8_t payload_mode; /* enum payload_mode (output/payload.h): 0 auto */
    const struct decode_rule *decode_rules; /* --decode, in order given */
    size_t ndecode_rules;
    uint8_t time_format;  /* text: enum text_time (--time); REL and DELTA
                             need one printer for all records (not
                             out_parallel's several) */
    bool ascii_arrow;     /* text: "->" between source and destination,
                             not U+2192 (a locale that is not UTF-8) */
    bool in_memory;       /* keep everything in memory (output_buffer) and
                             never write to `out` (out_parallel.c) */
};

/* --time: how text records give their time (JSON keeps its timestamp). */
enum text_time {
    TEXT_TIME_ABS = 0, /* "20:07:43.321563": time of day, UTC */
    TEXT_TIME_ISO,     /* "2026-11-24T20:07:43.321563Z": date, time, zone */
    TEXT_TIME_EPOCH,   /* "1764014863.321563": seconds since 1970 */
    TEXT_TIME_REL,     /* "0.111679": seconds since the first record */
    TEXT_TIME_DELTA    /* "0.000046": seconds since the previous record */
};

enum output_format { OUTPUT_TEXT, OUTPUT_JSON, OUTPUT_EVE };

struct output;

/* The functions each printer supplies. */
struct output_ops {
    void (*frame)(struct output *o, const struct msg_meta *m,
                  const mqd_frame *f);
    void (*sn)(struct output *o, const struct msg_meta *m,
               const struct sn_record *r);
    void (*event_begin)(struct output *o, const struct msg_meta *m,
                        const char *name);
    void (*event_u64)(struct output *o, const char *key, uint64_t v);
    void (*event_str)(struct output *o, const char *key, const char *s);
    void (*event_bool)(struct output *o, const char *key, bool v);
    void (*event_end)(struct output *o);
    int (*flush)(struct output *o);
    int (*close)(struct output *o); /* flushes and frees o */
    struct obuf *(*buffer)(struct output *o); /* see output_buffer */
    /* NULL: the printer shows no capture counts (they are on stderr). */
    void (*capture)(struct output *o, const struct capture_stats_record *r);
};

struct output {
    const struct output_ops *ops;
};

/* Constructors (out_text.c, out_json.c, out_eve.c): NULL when out of
 * memory. */
struct output *out_text_open(const struct output_opts *opts);
struct output *out_json_open(const struct output_opts *opts);
struct output *out_eve_open(const struct output_opts *opts);

static inline struct output *output_open(enum output_format fmt,
                                         const struct output_opts *opts)
{
    if (fmt == OUTPUT_EVE)
        return out_eve_open(opts);
    return fmt == OUTPUT_JSON ? out_json_open(opts) : out_text_open(opts);
}

/* One record for one decoded control packet. */
static inline void output_frame(struct output *o, const struct msg_meta *m,
                                const mqd_frame *f)
{
    o->ops->frame(o, m, f);
}

/* One record for one decoded MQTT-SN message (out_sn.h). */
static inline void output_sn(struct output *o, const struct msg_meta *m,
                             const struct sn_record *r)
{
    o->ops->sn(o, m, r);
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

/* A whole event record (record.h) in one call. */
static inline void output_event(struct output *o, const struct msg_meta *m,
                                const struct event_record *e)
{
    output_event_begin(o, m, e->name);
    for (uint8_t i = 0; i < e->nfields; i++) {
        const struct event_field *f = &e->fields[i];
        if (f->kind == EVENT_U64)
            output_event_u64(o, f->key, f->v.u64);
        else if (f->kind == EVENT_STR)
            output_event_str(o, f->key, f->v.str);
        else
            output_event_bool(o, f->key, f->v.b);
    }
    output_event_end(o);
}

/* The live capture's counts so far, after the records before it: JSON's
 * capture_stats record; nothing in text and EVE. */
static inline void output_capture(struct output *o, const struct capture_stats_record *r)
{
    if (o->ops->capture)
        o->ops->capture(o, r);
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
