/* Annotated text printer.
 *
 * One line per control packet:
 *   FRAME HH:MM:SS.uuuuuu SRC → DST vN TYPE fields [n violations: ids]
 * e.g.
 *   12 19:44:45.123456 127.0.0.1:51234 → 127.0.0.1:1883 v4 PUBLISH qos=1
 *   id=7 topic="hello" payload=5B "world"
 * (one line). The version is v3/v4/v5, "v?" when unknown, with a trailing
 * "?" when it was inferred. With opts.verbose, an annotated tree follows:
 * every field with its offset in the frame (4 hex digits), its raw bytes
 * (at most 8 shown, then "…") and its meaning; bit diagrams for flag bytes;
 * a payload preview; each violation with rule id, severity and offset.
 * Events: FRAME TIME SRC → DST EVENT name key=value ...
 * Output is deterministic; ANSI colour only with opts.color.
 */
#ifndef MQD_CLI_OUT_TEXT_H
#define MQD_CLI_OUT_TEXT_H

#include "util/json_writer.h"
#include "util/text_escape.h"
#include "output/text_limits.h"
#include "output/output.h"

/* Tree lines that depend on a single byte, made once and then copied: the
 * fixed header's (its first byte) and a one-byte Remaining Length's. Made
 * with the options of the printer that owns it. */
struct tree_memo {
    char *header[256];
    char *remaining[128];
    uint16_t header_len[256], remaining_len[128];
    struct timefmt_memo clock; /* the summary line's time of day */
    bool have_first;           /* --time rel/delta: a record was printed */
    int64_t first_us, prev_us; /* its time, and the last one's */
};

/* The summary line (with newline) and, when o->verbose, the tree for one
 * frame, into b. `memo` may be NULL; `ps` is the printer's payload
 * scratch (output/payload.h). */
struct payload_scratch;
void out_text_write_frame(struct obuf *b, const struct output_opts *o,
                          struct tree_memo *memo, struct payload_scratch *ps,
                          const struct msg_meta *m, const mqd_frame *f);

/* Frees what a memo holds. */
void tree_memo_free(struct tree_memo *memo);

/* ---- internal to the text printer (out_text.c, out_text_tree.c) ---- */

/* The arrow between source and destination (output_opts.ascii_arrow:
 * TEXT_ARROW_ASCII). */
#define TEXT_ARROW " \xE2\x86\x92 "
#define TEXT_ARROW_ASCII " -> "
/* ANSI SGR codes. */
#define SGR_RESET "0"
#define SGR_BOLD "1"
#define SGR_DIM "2"
#define SGR_RED "31"
#define SGR_YELLOW "33"
#define SGR_CYAN "36"

/* The printing context of one frame. */
struct text_ctx {
    struct obuf *b;
    const struct output_opts *o;
    const mqd_frame *f;
    struct tree_memo *memo; /* NULL: none */
    bool payload_utf8;      /* f's payload is well-formed UTF-8 */
    bool payload_json;      /* -V: f's payload is shown as JSON after the tree */
    const struct payload_view *pv; /* PUBLISH: how the payload is shown */
    const struct msg_meta *m;      /* its meta and analysis (rule hits) */
};

/* ESC [ code m, when colour is on. */
void put_sgr(struct obuf *b, const struct output_opts *o, const char *code);
/* "FRAME HH:MM:SS.uuuuuu SRC → DST": how every text line starts (the time
 * as o->time_format says; rel and delta need the memo). */
void put_meta(struct obuf *b, const struct output_opts *o, struct tree_memo *memo,
              const struct msg_meta *m);
/* One violation in a -V tree, after its offset prefix: "! RULE severity:
 * message (value N)", coloured by severity. */
/* "! ID severity: message (value N)": a violation of a rule kept above
 * dissect/ (msg_analysis.hits). */
void put_rule_hit(struct obuf *b, const struct output_opts *o,
                  const struct msg_rule_hit *h);
void put_violation(struct obuf *b, const struct output_opts *o,
                   const mqd_violation *v);
/* "0x1f" */
void put_hex8(struct obuf *b, uint8_t v);
/* Four hex digits (eight above 0xffff): tree offsets. fmt_tree_offset
 * writes them at p (room for 8) and returns the count. */
void put_hex16(struct obuf *b, uint32_t v);
size_t fmt_tree_offset(char *p, uint32_t v);
/* A string field of the frame quoted (text_quoted); "<cut>" when it does
 * not lie inside the frame. */
void put_field_str(const struct text_ctx *t, const mqd_str *s, size_t limit);
/* -V over decrypted TLS: a line per record that carried the message. */
void text_tls_records(struct obuf *b, const struct msg_meta *m);
/* The verbose tree of t->f (out_text_tree.c). */
void out_text_tree(const struct text_ctx *t);

/* ---- shared with the MQTT-SN printer (out_sn.c) ---- */

/* How a tree line starts: "  OOOO: xx xx ...  " up to the description
 * column; raw[0..len) are the bytes at offset `off` (len 0: none shown). */
void text_tree_prefix(struct obuf *b, const struct output_opts *o,
                      uint32_t off, const uint8_t *raw, size_t len);
/* " [2 violations: ID ID …]" on a summary line (nothing when there are
 * none): the first `n` of `list`, `dropped` more not recorded. */
void text_violations_summary(struct obuf *b, const struct output_opts *o,
                             const mqd_violation *list, uint16_t n,
                             uint16_t dropped);
/* The violations of a -V tree: one line each at its offset. */
void text_tree_violations(struct obuf *b, const struct output_opts *o,
                          const mqd_violation *list, uint16_t n,
                          uint16_t dropped);
/* A bit diagram line under a flags octet, without its newline:
 * "<blank to the description column>1... .... = label value". */
void text_tree_bits(struct obuf *b, uint8_t byte, uint8_t mask,
                    const char *label, int64_t value);

#endif
