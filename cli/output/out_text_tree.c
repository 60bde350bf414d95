/* The verbose (-V) part of the text printer: an annotated tree of every
 * field of a frame with its offset and raw bytes. See out_text.h. */
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"
#include "mqttdissect/utf8.h"
#include "mqttdissect/names.h"
#include "mqttdissect/props.h"
#include "mqttdissect/rules.h"
#include "output/out_text.h"
#include "output/payload.h"

/* * Each line: "  OOOO: xx xx xx ...          description". */

/* The raw bytes of a tree line and the padding after them, written at p
 * (room for TREE_DESC_COL + 8 bytes); returns the count. `col` is the
 * column they start at. Spaces first, then the digits over them. */
static size_t tree_raw_bytes(char *p, const uint8_t *raw, size_t len,
                             size_t col)
{
    size_t width = col < TREE_DESC_COL ? TREE_DESC_COL - col : 0;
    memset(p, ' ', TREE_DESC_COL);
    size_t shown = len <= TREE_RAW_BYTES ? len : TREE_RAW_BYTES - 1;
    for (size_t i = 0; i < shown; i++)
        hex_byte(p + 3 * i, raw[i]);
    size_t n = 3 * shown, cols = n;
    if (shown < len) {
        static const char more[] = TEXT_ELLIPSIS " ";
        memcpy(p + n, more, sizeof more - 1);
        n += sizeof more - 1;
        cols += 2; /* the ellipsis is one column wide */
    }
    return cols < width ? n + (width - cols) : n;
}

void text_tree_prefix(struct obuf *b, const struct output_opts *o,
                      uint32_t off, const uint8_t *raw, size_t len)
{
    size_t col = off > 0xFFFF ? TREE_BYTES_COL + 4 : TREE_BYTES_COL;
    if (!raw)
        len = 0;
    if (!o->color) { /* the whole prefix in one piece */
        char *p = obuf_reserve(b, 2 + 8 + 2 + TREE_DESC_COL + 8);
        p[0] = p[1] = ' ';
        size_t n = 2 + fmt_tree_offset(p + 2, off);
        p[n++] = ':';
        p[n++] = ' ';
        obuf_commit(b, n + tree_raw_bytes(p + n, raw, len, col));
        return;
    }
    obuf_puts(b, "  ");
    put_sgr(b, o, SGR_DIM);
    put_hex16(b, off);
    put_sgr(b, o, SGR_RESET);
    obuf_puts(b, ": ");
    char *p = obuf_reserve(b, TREE_DESC_COL + 8);
    obuf_commit(b, tree_raw_bytes(p, raw, len, col));
}

static void tree_prefix(const struct text_ctx *t, uint32_t off, uint32_t len)
{
    const uint8_t *raw = NULL;
    /* Only bytes inside the frame are shown. */
    if (off > t->f->size)
        len = 0;
    else if (len > t->f->size - off)
        len = t->f->size - off;
    if (len > 0 && !mqd_frame_bytes(t->f, off, len, &raw))
        len = 0;
    text_tree_prefix(t->b, t->o, off, raw, len);
}

/* A continuation line: blank up to the description column. */
static void tree_cont(const struct text_ctx *t)
{
    obuf_fill(t->b, ' ', TREE_DESC_COL);
}

/* "0011 ...." : the bits of `byte` under `mask`, dots elsewhere. */
static void put_bits(struct obuf *b, uint8_t byte, uint8_t mask)
{
    char *p = obuf_reserve(b, 9);
    size_t n = 0;
    for (int bit = 7; bit >= 0; bit--) {
        uint8_t m = (uint8_t)(1u << bit);
        p[n++] = (mask & m) ? ((byte & m) ? '1' : '0') : '.';
        if (bit == 4)
            p[n++] = ' ';
    }
    obuf_commit(b, n);
}

/* "<bits> = label value": one line of a bit diagram (after a prefix). */
static void bits_desc(const struct text_ctx *t, uint8_t byte, uint8_t mask,
                      const char *label, uint64_t value)
{
    put_bits(t->b, byte, mask);
    obuf_puts(t->b, " = ");
    obuf_puts(t->b, label);
    obuf_putc(t->b, ' ');
    obuf_u64(t->b, value);
}

void text_tree_bits(struct obuf *b, uint8_t byte, uint8_t mask,
                    const char *label, int64_t value)
{
    obuf_fill(b, ' ', TREE_DESC_COL);
    put_bits(b, byte, mask);
    obuf_puts(b, " = ");
    obuf_puts(b, label);
    obuf_putc(b, ' ');
    obuf_i64(b, value);
}

static void tree_bits(const struct text_ctx *t, uint8_t byte, uint8_t mask,
                      const char *label, uint64_t value)
{
    text_tree_bits(t->b, byte, mask, label, (int64_t)value);
    obuf_putc(t->b, '\n');
}

/* ---- lines made once (struct tree_memo) ---- */

void tree_memo_free(struct tree_memo *memo)
{
    for (size_t i = 0; i < 256; i++)
        free(memo->header[i]);
    for (size_t i = 0; i < 128; i++)
        free(memo->remaining[i]);
    memset(memo, 0, sizeof *memo);
}

/* Writes the memo's text *slot, making it first with make() (which prints
 * into a scratch buffer through a copy of t); without a memo, or when
 * memory runs out, make() prints straight into t->b. */
static void memo_write(const struct text_ctx *t, char **slot, uint16_t *len,
                       void (*make)(const struct text_ctx *))
{
    if (!t->memo) {
        make(t);
        return;
    }
    if (!*slot) {
        struct obuf scratch;
        if (obuf_init(&scratch, NULL, 1024) != 0) {
            make(t);
            return;
        }
        struct text_ctx mt = *t;
        mt.b = &scratch;
        make(&mt);
        if (!scratch.failed && scratch.len <= UINT16_MAX &&
            (*slot = malloc(scratch.len)) != NULL) {
            memcpy(*slot, scratch.buf, scratch.len);
            *len = (uint16_t)scratch.len;
        }
        if (!*slot)
            obuf_write(t->b, scratch.buf, scratch.len);
        obuf_free(&scratch);
        if (!*slot)
            return;
    }
    obuf_write(t->b, *slot, *len);
}

/* Fixed header byte (3.1.1 s2.2, 5.0 s2.1.2-2.1.3): its lines depend on
 * that byte alone. */
static void make_fixed_header(const struct text_ctx *t)
{
    const mqd_frame *f = t->f;
    uint8_t h = f->header;
    tree_prefix(t, 0, 1);
    bits_desc(t, h, 0xF0, "type", f->type);
    obuf_putc(t->b, ' ');
    obuf_puts(t->b, mqd_type_name(f->type));
    obuf_putc(t->b, '\n');
    if (f->type == MQD_PUBLISH) {
        tree_bits(t, h, 0x08, "DUP", f->dup);
        tree_bits(t, h, 0x06, "QoS", f->qos);
        tree_bits(t, h, 0x01, "RETAIN", f->retain);
    } else {
        tree_bits(t, h, 0x0F, "flags", f->flags);
    }
}

static void tree_fixed_header(const struct text_ctx *t)
{
    memo_write(t, t->memo ? &t->memo->header[t->f->header] : NULL,
               t->memo ? &t->memo->header_len[t->f->header] : NULL,
               make_fixed_header);
}

static void make_remaining(const struct text_ctx *t)
{
    const mqd_varint *rl = &t->f->remaining;
    tree_prefix(t, rl->off, rl->nbytes);
    obuf_puts(t->b, "remaining length ");
    obuf_u64(t->b, rl->value);
    obuf_puts(t->b, " (");
    obuf_u64(t->b, rl->nbytes);
    obuf_puts(t->b, rl->nbytes == 1 ? " byte, " : " bytes, ");
    obuf_puts(t->b, rl->minimal ? "minimal)\n" : "NOT minimal)\n");
}

/* A one-byte Remaining Length (0..127) at offset 1: its line depends on
 * that byte alone. */
static void tree_remaining(const struct text_ctx *t)
{
    const mqd_varint *rl = &t->f->remaining;
    if (!t->memo || rl->nbytes != 1 || rl->off != 1 || rl->value > 127) {
        make_remaining(t);
        return;
    }
    memo_write(t, &t->memo->remaining[rl->value],
               &t->memo->remaining_len[rl->value], make_remaining);
}

static void tree_num(const struct text_ctx *t, const mqd_num *n, const char *label)
{
    if (!n->present)
        return;
    tree_prefix(t, n->off, n->len);
    obuf_puts(t->b, label);
    obuf_putc(t->b, ' ');
    obuf_u64(t->b, n->value);
    obuf_putc(t->b, '\n');
}

/* " (N bytes)" and the end of the line. */
static void put_byte_count(struct obuf *b, uint64_t n)
{
    obuf_puts(b, " (");
    obuf_u64(b, n);
    obuf_puts(b, n == 1 ? " byte)\n" : " bytes)\n");
}

/* label "text" (N bytes) */
static void tree_str(const struct text_ctx *t, const mqd_str *s, const char *label)
{
    if (!s->present)
        return;
    tree_prefix(t, s->off, 2u + s->len);
    obuf_puts(t->b, label);
    obuf_putc(t->b, ' ');
    put_field_str(t, s, TREE_TEXT_PREVIEW);
    put_byte_count(t->b, s->len);
}

/* A secret: only the length prefix is shown unless show_secrets. */
static void tree_secret(const struct text_ctx *t, const mqd_str *s, const char *label)
{
    const uint8_t *data;
    size_t len;
    if (!s->present)
        return;
    bool shown = t->o->show_secrets && mqd_frame_str(t->f, s, &data, &len);
    tree_prefix(t, s->off, shown ? 2u + s->len : 2u);
    obuf_puts(t->b, label);
    obuf_putc(t->b, ' ');
    if (shown)
        text_hex(t->b, data, len, SIZE_MAX);
    else
        obuf_puts(t->b, "<redacted>");
    put_byte_count(t->b, s->len);
}

static void tree_reason(const struct text_ctx *t, uint32_t off, uint8_t code)
{
    const char *name = mqd_reason_name(t->f->type, t->f->version, code);
    tree_prefix(t, off, 1);
    obuf_puts(t->b, "reason code ");
    put_hex8(t->b, code);
    obuf_putc(t->b, ' ');
    obuf_puts(t->b, name ? name : "(unknown)");
    obuf_putc(t->b, '\n');
}

/* ---- properties (5.0 s2.2.2) ---- */

static void tree_prop_value(const struct text_ctx *t, const mqd_prop *p)
{
    const uint8_t *data;
    size_t len;
    switch (p->info->type) {
    case MQD_PT_UTF8:
        put_field_str(t, &p->str, TREE_TEXT_PREVIEW);
        break;
    case MQD_PT_UTF8_PAIR:
        put_field_str(t, &p->str, TREE_TEXT_PREVIEW);
        obuf_puts(t->b, ": ");
        put_field_str(t, &p->str2, TREE_TEXT_PREVIEW);
        break;
    case MQD_PT_BINARY:
        obuf_u64(t->b, p->str.len);
        obuf_puts(t->b, " bytes ");
        if (p->id == MQD_P_AUTHENTICATION_DATA && !t->o->show_secrets)
            obuf_puts(t->b, "<redacted>");
        else if (mqd_frame_str(t->f, &p->str, &data, &len))
            text_hex(t->b, data, len, TREE_HEX_PREVIEW);
        break;
    default:
        obuf_u64(t->b, p->value);
        break;
    }
}

static void tree_props(const struct text_ctx *t, const mqd_props *block,
                       const char *label)
{
    mqd_prop_iter it;
    mqd_prop p;
    if (!block->present)
        return;
    tree_prefix(t, block->length.off, block->length.nbytes);
    obuf_puts(t->b, label);
    obuf_putc(t->b, ' ');
    obuf_u64(t->b, block->length.value);
    obuf_putc(t->b, '\n');
    uint32_t done = block->off, end = block->off + block->len;
    mqd_prop_iter_init(&it, t->f, block);
    while (mqd_prop_next(&it, &p) && p.info) {
        done = p.off + p.len;
        bool secret = p.id == MQD_P_AUTHENTICATION_DATA && !t->o->show_secrets;
        tree_prefix(t, p.off, secret ? 3u : p.len);
        obuf_puts(t->b, p.info->name);
        obuf_puts(t->b, " (");
        put_hex8(t->b, p.id);
        obuf_puts(t->b, ") = ");
        tree_prop_value(t, &p);
        obuf_putc(t->b, '\n');
    }
    /* The iterator stops at an unknown or cut property (reported as a
     * violation); show what it could not walk. */
    if (done < end) {
        tree_prefix(t, done, end - done);
        obuf_u64(t->b, end - done);
        obuf_puts(t->b, " bytes of properties not decoded\n");
    }
}

/* ---- CONNECT (3.1.1 s3.1.2, 5.0 s3.1.2) ---- */

static void tree_connect_flags(const struct text_ctx *t, const mqd_connect *c)
{
    uint8_t v = (uint8_t)c->flags.value;
    if (!c->flags.present)
        return;
    tree_prefix(t, c->flags.off, 1);
    obuf_puts(t->b, "connect flags ");
    put_hex8(t->b, v);
    obuf_putc(t->b, '\n');
    tree_bits(t, v, 0x80, "User Name", c->username_flag);
    tree_bits(t, v, 0x40, "Password", c->password_flag);
    tree_bits(t, v, 0x20, "Will Retain", c->will_retain);
    tree_bits(t, v, 0x18, "Will QoS", c->will_qos);
    tree_bits(t, v, 0x04, "Will Flag", c->will_flag);
    tree_bits(t, v, 0x02,
              t->f->version == MQD_V5 ? "Clean Start" : "Clean Session",
              c->clean_start);
    tree_bits(t, v, 0x01, "Reserved", c->reserved_flag);
}

static void tree_connect(const struct text_ctx *t)
{
    const mqd_connect *c = &t->f->connect;
    const char *vname = mqd_version_name((uint8_t)c->level.value);
    tree_str(t, &c->protocol_name, "protocol name");
    if (c->level.present) {
        tree_prefix(t, c->level.off, 1);
        obuf_puts(t->b, "protocol level ");
        obuf_u64(t->b, c->level.value);
        obuf_puts(t->b, " (");
        obuf_puts(t->b, vname ? vname : "unknown");
        obuf_puts(t->b, ")\n");
    }
    tree_connect_flags(t, c);
    tree_num(t, &c->keep_alive, "keep alive");
    tree_props(t, c->props.present ? &c->props : &t->f->props,
               "properties length");
    tree_str(t, &c->client_id, "client id");
    tree_props(t, &c->will_props, "will properties length");
    tree_str(t, &c->will_topic, "will topic");
    tree_str(t, &c->will_payload, "will payload");
    tree_str(t, &c->username, "user name");
    tree_secret(t, &c->password, "password");
}

/* ---- SUBSCRIBE family (5.0 s3.8-3.11) ---- */

static void tree_sub_options(const struct text_ctx *t, const mqd_filter *flt)
{
    uint8_t v = (uint8_t)flt->options.value;
    tree_prefix(t, flt->options.off, 1);
    obuf_puts(t->b, t->f->version == MQD_V5 ? "subscription options "
                                            : "requested QoS ");
    put_hex8(t->b, v);
    obuf_putc(t->b, '\n');
    if (t->f->version == MQD_V5) {
        tree_bits(t, v, 0xC0, "Reserved", v >> 6);
        tree_bits(t, v, 0x30, "Retain Handling", flt->retain_handling);
        tree_bits(t, v, 0x08, "Retain As Published", flt->retain_as_published);
        tree_bits(t, v, 0x04, "No Local", flt->no_local);
    } else {
        tree_bits(t, v, 0xFC, "Reserved", v >> 2);
    }
    tree_bits(t, v, 0x03, "QoS", flt->qos);
}

static void tree_filters(const struct text_ctx *t)
{
    mqd_filter_iter it;
    mqd_filter flt;
    mqd_filter_iter_init(&it, t->f);
    while (mqd_filter_next(&it, &flt)) {
        tree_str(t, &flt.filter, "topic filter");
        if (t->f->type == MQD_SUBSCRIBE && flt.options.present)
            tree_sub_options(t, &flt);
    }
}

static void tree_codes(const struct text_ctx *t)
{
    const uint8_t *codes;
    size_t n;
    if (!mqd_frame_run(t->f, t->f->list.off, t->f->list.len, &codes, &n))
        return;
    for (size_t i = 0; i < n; i++)
        tree_reason(t, t->f->list.off + (uint32_t)i, codes[i]);
}

/* ---- payload ---- */

/* "  OOOO: 16 hex bytes  |ascii|" lines for the first bytes of a payload. */
static void tree_hexdump(const struct text_ctx *t, uint32_t off,
                         const uint8_t *data, size_t len)
{
    for (size_t row = 0; row < len; row += 16) {
        size_t n = len - row < 16 ? len - row : 16;
        obuf_puts(t->b, "  ");
        put_hex16(t->b, off + (uint32_t)row);
        /* ": " and 16 columns of "xx " */
        char *p = obuf_reserve(t->b, 2 + 3 * 16);
        size_t k = 0;
        p[k++] = ':';
        p[k++] = ' ';
        for (size_t i = 0; i < 16; i++) {
            if (i < n)
                hex_byte(p + k, data[row + i]);
            else
                p[k] = p[k + 1] = ' ';
            p[k + 2] = ' ';
            k += 3;
        }
        obuf_commit(t->b, k);
        /* " |", up to 16 characters, "|\n" */
        p = obuf_reserve(t->b, 2 + 16 + 2);
        k = 0;
        p[k++] = ' ';
        p[k++] = '|';
        for (size_t i = 0; i < n; i++) {
            uint8_t c = data[row + i];
            p[k++] = c >= 0x20 && c < 0x7F ? (char)c : '.';
        }
        p[k++] = '|';
        p[k++] = '\n';
        obuf_commit(t->b, k);
    }
}

/* -V: the payload as --payload says (the view's mode for a PUBLISH: hex,
 * text, none, or by its content), up to --max-payload bytes when it is
 * given (0: all), else the previews of text_limits.h. */
static void tree_payload(const struct text_ctx *t)
{
    const mqd_bytes *p = &t->f->payload;
    const uint8_t *data;
    size_t len;
    if (!p->present || !mqd_frame_run(t->f, p->off, p->len, &data, &len))
        return;
    uint8_t mode = t->pv ? t->pv->mode : t->o->payload_mode;
    bool text = mode == PAYLOAD_TEXT || (mode != PAYLOAD_HEX && t->payload_utf8);
    if (mode == PAYLOAD_NONE) {
        tree_prefix(t, p->off, 0);
        obuf_puts(t->b, "payload ");
        obuf_u64(t->b, len);
        obuf_puts(t->b, " bytes\n");
        return;
    }
    /* Binary payloads get a hex dump below instead of the raw column. */
    tree_prefix(t, p->off, text ? p->len : 0);
    obuf_puts(t->b, "payload ");
    obuf_u64(t->b, len);
    if (t->payload_json) { /* shown once, whole and readable, after the tree */
        obuf_puts(t->b, " bytes, UTF-8, JSON below\n");
        return;
    }
    if (t->pv && t->pv->spb_decoded) { /* likewise, decoded */
        obuf_puts(t->b, " bytes, Sparkplug B below\n");
        return;
    }
    if (t->pv && t->pv->cbor_json) {
        obuf_puts(t->b, " bytes, CBOR below\n");
        return;
    }
    if (t->pv && t->pv->msgpack_json) {
        obuf_puts(t->b, " bytes, MessagePack below\n");
        return;
    }
    if (t->pv && t->pv->inflated) {
        obuf_puts(t->b, " bytes, compressed, JSON below\n");
        return;
    }
    obuf_puts(t->b, len == 0               ? " bytes\n"
                    : !text && t->payload_utf8 ? " bytes, UTF-8, as hex\n"
                    : !text                ? " bytes, binary\n"
                    : t->payload_utf8      ? " bytes, UTF-8\n"
                                           : " bytes, as text\n");
    if (len == 0)
        return;
    if (text) {
        size_t limit = payload_text_limit(t->o, TREE_TEXT_PREVIEW);
        if (len > limit && t->payload_utf8)
            limit = mqd_utf8_valid_prefix(data, limit, NULL);
        tree_cont(t);
        if (limit == 0) /* not even the first character fits */
            obuf_puts(t->b, "\"\"" TEXT_ELLIPSIS);
        else
            text_quoted(t->b, data, len, limit);
        obuf_putc(t->b, '\n');
    } else {
        size_t limit = payload_text_limit(t->o, TREE_HEX_PREVIEW);
        tree_hexdump(t, p->off, data, len < limit ? len : limit);
        if (len > limit) {
            tree_cont(t);
            obuf_puts(t->b, TEXT_ELLIPSIS " ");
            obuf_u64(t->b, len - limit);
            obuf_puts(t->b, " more bytes\n");
        }
    }
}

/* ---- violations ---- */

void text_tree_violations(struct obuf *b, const struct output_opts *o,
                          const mqd_violation *list, uint16_t n,
                          uint16_t dropped)
{
    if (n > MQD_MAX_VIOLATIONS)
        n = MQD_MAX_VIOLATIONS;
    for (uint16_t i = 0; i < n; i++) {
        text_tree_prefix(b, o, list[i].off, NULL, 0);
        put_violation(b, o, &list[i]);
    }
    if (dropped > 0) {
        obuf_fill(b, ' ', TREE_DESC_COL);
        obuf_puts(b, TEXT_ELLIPSIS " ");
        obuf_u64(b, dropped);
        obuf_puts(b, " more violations not recorded\n");
    }
}

static void tree_violations(const struct text_ctx *t)
{
    const mqd_frame *f = t->f;
    text_tree_violations(t->b, t->o, f->violations, f->nviolations,
                         f->violations_dropped);
    const struct msg_analysis *an = &t->m->an;
    for (uint8_t i = 0; i < an->nhits && i < MSG_MAX_RULE_HITS; i++) {
        text_tree_prefix(t->b, t->o, an->hits[i].off, NULL, 0);
        put_rule_hit(t->b, t->o, &an->hits[i]);
    }
    if (an->hits_dropped > 0) {
        obuf_fill(t->b, ' ', TREE_DESC_COL);
        obuf_puts(t->b, TEXT_ELLIPSIS " ");
        obuf_u64(t->b, an->hits_dropped);
        obuf_puts(t->b, " more violations not recorded\n");
    }
}

/* Fields in wire order: whichever a packet type has are present. */
void out_text_tree(const struct text_ctx *t)
{
    const mqd_frame *f = t->f;
    tree_fixed_header(t);
    tree_remaining(t);
    if (f->type == MQD_CONNECT) {
        tree_connect(t);
    } else {
        tree_str(t, &f->topic, "topic");
        tree_num(t, &f->packet_id, "packet id");
        if (f->ack_flags.present) {
            tree_prefix(t, f->ack_flags.off, 1);
            obuf_puts(t->b, "acknowledge flags ");
            put_hex8(t->b, (uint8_t)f->ack_flags.value);
            obuf_putc(t->b, '\n');
            tree_bits(t, (uint8_t)f->ack_flags.value, 0x01, "Session Present",
                      f->ack_flags.value & 1u);
        }
        if (f->reason.present)
            tree_reason(t, f->reason.off, (uint8_t)f->reason.value);
        tree_props(t, &f->props, "properties length");
    }
    if (f->list.present) {
        if (f->type == MQD_SUBSCRIBE || f->type == MQD_UNSUBSCRIBE)
            tree_filters(t);
        else
            tree_codes(t);
    }
    tree_payload(t);
    tree_violations(t);
}
