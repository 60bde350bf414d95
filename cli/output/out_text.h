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
#include "output/output.h"

/* Tree lines that depend on a single byte, made once and then copied: the
 * fixed header's (its first byte) and a one-byte Remaining Length's. Made
 * with the options of the printer that owns it. */
struct tree_memo {
    char *header[256];
    char *remaining[128];
    uint16_t header_len[256], remaining_len[128];
};

/* The summary line (with newline) and, when o->verbose, the tree for one
 * frame, into b. `memo` may be NULL (tests, fuzzers). */
void out_text_write_frame(struct obuf *b, const struct output_opts *o,
                          struct tree_memo *memo, const struct msg_meta *m,
                          const mqd_frame *f);

/* Frees what a memo holds. */
void tree_memo_free(struct tree_memo *memo);

/* A wire string quoted for a terminal: "..." with \" \\ \n \r \t, \xNN for
 * other control bytes and for bytes that are not well-formed UTF-8, \u{N}
 * for C1 controls and bidirectional overrides. At most `limit` input bytes
 * (0: all); "…" follows the closing quote when cut. */
void text_quoted(struct obuf *b, const uint8_t *s, size_t n, size_t limit);

/* ---- internal to the text printer (out_text.c, out_text_tree.c) ---- */

/* The arrow between source and destination. */
#define TEXT_ARROW " \xE2\x86\x92 "
/* "…", where something was cut. */
#define TEXT_ELLIPSIS "\xE2\x80\xA6"
/* Input bytes of a string or payload shown on the summary line. */
#define SUMMARY_STR_LIMIT 64
#define SUMMARY_PAYLOAD_LIMIT 32
#define SUMMARY_HEX_LIMIT 16
#define SUMMARY_MAX_LIST 8
/* Tree: raw bytes shown per field, payload preview sizes. */
#define TREE_RAW_BYTES 8
#define TREE_TEXT_PREVIEW 256
#define TREE_HEX_PREVIEW 64
/* Column where a tree line's description starts ("  0000: " + bytes). */
#define TREE_BYTES_COL 8
#define TREE_DESC_COL (TREE_BYTES_COL + 3 * TREE_RAW_BYTES + 1)

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
};

/* ESC [ code m, when colour is on. */
void put_sgr(struct obuf *b, const struct output_opts *o, const char *code);
/* "FRAME HH:MM:SS.uuuuuu SRC → DST": how every text line starts. */
void put_meta(struct obuf *b, const struct msg_meta *m);
/* One violation in a -V tree, after its offset prefix: "! RULE severity:
 * message (value N)", coloured by severity. */
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
/* "0x" and the hex of up to `limit` bytes, "…" when cut. */
void put_hex_bytes(struct obuf *b, const uint8_t *s, size_t n, size_t limit);
/* The verbose tree of t->f (out_text_tree.c). */
void out_text_tree(const struct text_ctx *t);

/* ---- shared with the MQTT-SN printer (out_sn.c) ---- */

/* " key=5B "text"", " key=3B 0x00ff10": a payload on a summary line,
 * following o->payload_mode and o->max_payload (payload_json.h); in auto
 * mode quoted text when `utf8` (data[0..len) is well-formed UTF-8), else
 * hex. */
void text_payload_summary(struct obuf *b, const struct output_opts *o,
                          const char *key, const uint8_t *data, size_t len,
                          bool utf8);
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
