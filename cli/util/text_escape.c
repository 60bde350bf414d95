/* Wire bytes shown on a terminal, safely. See text_escape.h. */
#include "util/text_escape.h"

#include "util/hex.h"
#include "util/bytescan.h"
#include "mqttdissect/utf8.h"

static bool needs_unicode_escape(uint32_t cp)
{
    /* C1 controls, line/paragraph separators, bidirectional formatting
     * (which can make text display in another order than it is). */
    return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x2028 && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
           cp == 0xFEFF;
}

/* At most this many bytes go through one quote_ascii_run (4 bytes out at
 * most for each, in one reserve). */
#define QUOTE_CHUNK (OBUF_MAX_RESERVE / 4)

/* How an ASCII byte is shown inside quotes: 0 as it is, else the letter
 * after a backslash: \" \\ \n \r \t, and \xNN ('x') for the other
 * control bytes and DEL. */
static const char quote_escape[128] = {
    'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 't', 'n', 'x', 'x', 'r', 'x', 'x',
    'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',
    ['"'] = '"', ['\\'] = '\\', [0x7F] = 'x',
};

/* Shows the ASCII bytes at the start of s[0..n) (s[0] < 0x80), stopping at
 * the first non-ASCII byte or after QUOTE_CHUNK; returns how many were
 * shown. For text where escapes come often, as quotes in JSON payloads. */
static size_t quote_ascii_run(struct obuf *b, const uint8_t *s, size_t n)
{
    size_t max = n < QUOTE_CHUNK ? n : QUOTE_CHUNK;
    char *p = obuf_reserve(b, QUOTE_CHUNK * 4);
    size_t i = 0, out = 0;
    for (; i < max; i++) {
        uint8_t c = s[i];
        if (c >= 0x80)
            break;
        char e = quote_escape[c];
        if (!e) {
            p[out++] = (char)c;
            continue;
        }
        p[out] = '\\';
        p[out + 1] = e;
        if (e == 'x') {
            hex_byte(p + out + 2, c);
            out += 4;
        } else {
            out += 2;
        }
    }
    obuf_commit(b, out);
    return i;
}

static void quote_codepoint(struct obuf *b, uint32_t cp)
{
    obuf_puts(b, "\\u{");
    char *p = obuf_reserve(b, 8);
    size_t n = 0;
    bool started = false;
    for (int shift = 20; shift >= 0; shift -= 4) {
        unsigned d = (cp >> shift) & 0xFu;
        if (d || started || shift == 0) {
            p[n++] = "0123456789abcdef"[d];
            started = true;
        }
    }
    obuf_commit(b, n);
    obuf_putc(b, '}');
}

/* Non-zero when one of the eight bytes in x is not shown as it is. */
static inline uint64_t text_swar_unplain(uint64_t x)
{
    return swar_has_below_or_high(x, 0x20) | swar_has_byte(x, 0x7F) |
           swar_has_byte(x, '"') | swar_has_byte(x, '\\');
}

/* Length of the run at s[0..n) that is shown as it is: printable ASCII
 * but '"' and '\\' (eight bytes at a time while it lasts). */
static size_t text_plain_run(const uint8_t *s, size_t n)
{
    size_t i = plain_blocks(s, n, false);
    while (n - i >= 8) {
        if (text_swar_unplain(swar_load(s + i)))
            break;
        i += 8;
    }
    /* Fewer than 8 left of at least 8: the last 8 bytes at once. */
    if (i < n && n - i < 8 && n >= 8 && !text_swar_unplain(swar_load(s + n - 8)))
        return n;
    while (i < n && s[i] >= 0x20 && s[i] < 0x7F && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

void text_escape(struct obuf *b, const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* Eight plain bytes ahead: copy the whole plain run at once;
         * otherwise show byte by byte up to the next non-ASCII one. */
        if (n - i >= 8 && !text_swar_unplain(swar_load(s + i))) {
            size_t run = text_plain_run(s + i, n - i);
            obuf_write(b, s + i, run);
            i += run;
            continue;
        }
        if (s[i] < 0x80) {
            i += quote_ascii_run(b, s + i, n - i);
            continue;
        }
        size_t len;
        int r = mqd_utf8_scan(s + i, n - i, &len);
        if (r == MQD_UTF8_SEQ_OK) {
            uint32_t cp = mqd_utf8_decode(s + i, len);
            if (needs_unicode_escape(cp))
                quote_codepoint(b, cp);
            else
                obuf_write(b, s + i, len);
        } else {
            for (size_t k = 0; k < len; k++) { /* each bad byte as \xNN */
                char *p = obuf_reserve(b, 4);
                p[0] = '\\';
                p[1] = 'x';
                hex_byte(p + 2, s[i + k]);
                obuf_commit(b, 4);
            }
        }
        i += len;
    }
}

void text_quoted(struct obuf *b, const uint8_t *s, size_t n, size_t limit)
{
    bool cut = limit != 0 && n > limit;
    obuf_putc(b, '"');
    text_escape(b, s, cut ? limit : n);
    obuf_putc(b, '"');
    if (cut)
        obuf_puts(b, TEXT_ELLIPSIS);
}

void text_hex(struct obuf *b, const uint8_t *s, size_t n, size_t limit)
{
    obuf_puts(b, "0x");
    obuf_hex(b, s, n < limit ? n : limit);
    if (n > limit)
        obuf_puts(b, TEXT_ELLIPSIS);
}
