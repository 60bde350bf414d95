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
#include "output/output.h"

enum payload_mode {
    PAYLOAD_AUTO = 0, /* JSON when it is JSON, else text when UTF-8, else hex */
    PAYLOAD_NONE,     /* the length only */
    PAYLOAD_TEXT,     /* text (ill-formed UTF-8 shown escaped / replaced) */
    PAYLOAD_HEX       /* hex */
};

/* A printer's working memory for payloads; NULL when out of memory. */
struct payload_scratch;
struct payload_scratch *payload_scratch_new(void);
void payload_scratch_free(struct payload_scratch *ps);

/* Largest payload parsed as JSON. */
#define PAYLOAD_JSON_MAX (1u << 20)

/* "auto", "none", "text", "hex" → *mode; false when none of these. */
bool payload_mode_parse(const char *s, uint8_t *mode);

/* True when the frame's Content Type property (5.0) is application/json. */
bool payload_content_type_json(const mqd_frame *f);

/* JSON output: `key`: {length, json | text | hex [, truncated, shown]}.
 * "json" is the payload as a nested JSON value. Follows o->payload_mode
 * and o->max_payload (0: all). */
void payload_json_write(struct json_writer *w, const struct output_opts *o,
                        struct payload_scratch *ps, const mqd_frame *f, const char *key,
                        const uint8_t *data, size_t len);

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
