/* How PUBLISH payloads are shown (--payload, --max-payload): as text when
 * they are valid UTF-8, as hex otherwise, and as structured JSON when they
 * are JSON (MQTT 5.0 Content Type "application/json", or a payload that
 * is a JSON object or array). Only payloads that look like JSON are
 * checked, up to PAYLOAD_JSON_MAX bytes (or --max-payload when smaller), by
 * json_embed (json_embed.h: what it accepts, and where that differs from
 * jansson); the JSON output copies them in without building a document,
 * the text -V display pretty-prints them token by token. Nothing is
 * allocated per message: each printer owns a payload_scratch (so printers
 * on several threads share nothing) and lends it to these functions. */
#ifndef MQD_CLI_PAYLOAD_H
#define MQD_CLI_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/json_writer.h"
#include "decode/sparkplug.h"
#include "output/output.h"

enum payload_mode {
    PAYLOAD_AUTO = 0, /* JSON when it is JSON, else text when UTF-8, else hex */
    PAYLOAD_NONE,     /* the length only */
    PAYLOAD_TEXT,     /* text (ill-formed UTF-8 shown escaped / replaced) */
    PAYLOAD_HEX,      /* hex */
    PAYLOAD_JSON,     /* JSON, any value (else raw, with a decode error) */
    PAYLOAD_SPARKPLUG, /* Sparkplug B (else raw, with a decode error) */
    PAYLOAD_GZIP_JSON, /* zlib or gzip, then JSON (else raw, with an error) */
    PAYLOAD_CBOR,      /* CBOR shown as JSON (else raw, with an error) */
    PAYLOAD_MSGPACK    /* MessagePack shown as JSON (else raw, with an error) */
};

/* How one PUBLISH payload is shown: the mode chosen for its topic
 * (output_opts.decode_rules, else spBv1.0/# as Sparkplug when --payload is
 * auto, else --payload), and what the chosen decoder made of it. */
struct payload_view {
    bool present;          /* the frame has a payload: data[0..len) */
    const uint8_t *data;
    size_t len;
    uint8_t chosen;        /* the mode chosen for the topic */
    uint8_t mode;          /* how it is shown: chosen, or TEXT/HEX when the
                              chosen decoder failed, AUTO for a STATE */
    const char *decode_error; /* the chosen decoder failed (static text) */
    /* chosen == PAYLOAD_SPARKPLUG: */
    enum spb_topic_result topic_result;
    const char *topic_error;  /* SPB_TOPIC_BAD: why */
    struct spb_topic topic;
    bool spb_decoded;         /* spb holds the decoded payload */
    struct spb_payload spb;
    /* Metrics named by alias alone: the name and datatype the births gave
     * (msg_analysis.spb_names); count 0: none. */
    struct msg_spb_names spb_names;
    /* chosen == PAYLOAD_GZIP_JSON: the decompressed JSON text (NULL when
     * it failed), in the scratch until the next payload */
    const uint8_t *inflated;
    size_t inflated_len;
    /* chosen == PAYLOAD_CBOR: the payload as JSON text (NULL when it
     * failed), in the scratch until the next payload */
    const char *cbor_json;
    size_t cbor_json_len;
    /* chosen == PAYLOAD_MSGPACK: the payload as JSON text (NULL when it
     * failed), in the scratch until the next payload */
    const char *msgpack_json;
    size_t msgpack_json_len;
};

/* A printer's working memory for payloads; NULL when out of memory. */
struct payload_scratch;
struct payload_scratch *payload_scratch_new(void);
void payload_scratch_free(struct payload_scratch *ps);

/* Largest payload parsed as JSON. */
#define PAYLOAD_JSON_MAX (1u << 20)

/* The payload bytes a text view shows: --max-payload when it was given
 * (0: all of them), else `preview` (text_limits.h). */
static inline size_t payload_text_limit(const struct output_opts *o, size_t preview)
{
    if (!o->max_payload_set)
        return preview;
    return o->max_payload ? o->max_payload : SIZE_MAX;
}

/* "auto", "none", "text", "hex" → *mode; false when none of these. */
bool payload_mode_parse(const char *s, uint8_t *mode);

/* --decode FORMAT names: auto, text, hex, json, cbor, msgpack, sparkplug,
 * gzip+json, none → *mode. */
bool payload_decode_format_parse(const char *s, size_t n, uint8_t *mode);

/* Splits a --decode argument "FILTER=FORMAT" (at its last '='): the
 * filter is arg[0..*filter_len), a valid MQTT topic filter; false with a
 * static reason in *why otherwise. */
bool payload_decode_rule_split(const char *arg, size_t *filter_len, uint8_t *mode,
                               const char **why);

/* The mode for a topic: the first decode rule whose filter matches it,
 * else Sparkplug for a topic in spBv1.0/ when o->payload_mode is auto,
 * else o->payload_mode. (payload_view_init then turns auto into CBOR for a
 * 5.0 Content Type application/cbor, into MessagePack for
 * application/msgpack or application/x-msgpack.) */
uint8_t payload_mode_for_topic(const struct output_opts *o, const uint8_t *topic,
                               size_t topic_len);

/* Decides how f's payload is shown and runs the chosen decoder (the views
 * in v stay valid until the next call with the same scratch). The topic is
 * the effective one (m->effective_topic when an alias gave it). */
void payload_view_init(struct payload_view *v, const struct output_opts *o,
                       struct payload_scratch *ps, const struct msg_meta *m,
                       const mqd_frame *f);

/* JSON output of a PUBLISH payload: "payload": {...} as payload_json_write
 * writes it in the view's mode (with "decode_error" when the chosen decoder
 * failed), then "sparkplug": {...} when Sparkplug was chosen. */
void payload_json_write_view(struct json_writer *w, const struct output_opts *o,
                             struct payload_scratch *ps, const mqd_frame *f,
                             const struct payload_view *v);

/* Text summary of a PUBLISH payload by its view: payload_text_summary's
 * " payload=5B ..." (the length alone for a decoded Sparkplug payload),
 * then " decode_error=..." and the Sparkplug summary when chosen. */
void payload_text_summary_view(struct obuf *b, const struct output_opts *o,
                               const struct payload_view *v, bool utf8);

/* Text -V: a CBOR payload as JSON, pretty-printed under a
 * "  payload as CBOR:" line (v->cbor_json). */
void payload_text_cbor(struct obuf *b, struct payload_scratch *ps,
                       const struct payload_view *v);

/* Text -V: a MessagePack payload as JSON, pretty-printed under a
 * "  payload as MessagePack:" line (v->msgpack_json). */
void payload_text_msgpack(struct obuf *b, struct payload_scratch *ps,
                          const struct payload_view *v);

/* Text -V: the decompressed JSON of a gzip+json payload pretty-printed
 * under a "  payload as JSON (decompressed):" line (v->inflated). */
void payload_text_inflated(struct obuf *b, struct payload_scratch *ps,
                           const struct payload_view *v);

/* Text -V: the decoded Sparkplug payload as a tree under a
 * "  payload as Sparkplug B:" line (v->spb_decoded). */
void payload_text_sparkplug(struct obuf *b, struct payload_scratch *ps,
                            const struct payload_view *v);

/* True when the frame's Content Type property (5.0) is application/json. */
bool payload_content_type_json(const mqd_frame *f);

/* JSON output: `key`: {length, json | text | hex [, truncated, shown]}.
 * "json" is the payload as a nested JSON value. Follows o->payload_mode
 * and o->max_payload (0: all). */
void payload_json_write(struct json_writer *w, const struct output_opts *o,
                        struct payload_scratch *ps, const mqd_frame *f, const char *key,
                        const uint8_t *data, size_t len);

/* `key`: {length, text | hex [, truncated, shown]}: an application
 * message that is not a PUBLISH payload (a will message), shown as text
 * when it is valid UTF-8, else as hex, at most o->max_payload bytes. */
void payload_json_raw(struct json_writer *w, const struct output_opts *o,
                      const char *key, const uint8_t *data, size_t len);

/* Text summary line: " key=5B "world"", " key=3B 0x00ff10", " key=5B"
 * with --payload none. `utf8`: data[0..len) is well-formed UTF-8 (auto
 * mode shows it as text, else as hex). */
void payload_text_summary(struct obuf *b, const struct output_opts *o,
                          const char *key, const uint8_t *data, size_t len,
                          bool utf8);

/* Text -V: whether the PUBLISH payload is shown as JSON (the mode allows
 * it and json_embed_check accepts it; then it is also valid UTF-8). */
bool payload_text_json(const struct output_opts *o, struct payload_scratch *ps,
                       const mqd_frame *f);
/* The same for a payload whose view is known (its mode, not o's). */
bool payload_text_json_view(struct payload_scratch *ps, const struct output_opts *o,
                            const mqd_frame *f, const struct payload_view *v);

/* Text -V: a payload that payload_text_json accepted, pretty-printed with
 * two-space indentation under a "  payload as JSON:" line. */
void payload_text_pretty(struct obuf *b, struct payload_scratch *ps,
                         const mqd_frame *f);

/* The pretty-printed value alone (what follows the margin of the first
 * line): data[0..len) must be a text json_embed_check accepted, at most
 * PAYLOAD_JSON_MAX bytes. Integers print in decimal, other numbers as the
 * shortest %g that reads back, strings quoted for a terminal. */
void payload_json_pretty(struct obuf *b, struct payload_scratch *ps,
                         const uint8_t *data, size_t len);

#endif
