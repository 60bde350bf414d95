/* --list-rules and --explain (out_rules.h). */
#include "output/out_rules.h"

#include <string.h>

#include "mqttdissect/rules.h"
#include "util/json_writer.h"
#include "util/obuf.h"

/* The JSON object of one rule: every field; versions as an array. */
static void rule_json(struct json_writer *w, const struct rule_entry *r, const char *catalogue)
{
    jw_object_begin(w);
    jw_key(w, "id");
    jw_str(w, r->id);
    jw_key(w, "name");
    jw_str(w, r->name);
    jw_key(w, "catalogue");
    jw_str(w, catalogue);
    jw_key(w, "severity");
    jw_str(w, mqd_severity_name(r->severity));
    jw_key(w, "versions");
    jw_array_begin(w);
    for (const char *p = r->versions; *p;) {
        size_t n = strcspn(p, " ");
        if (n)
            jw_strn(w, (const uint8_t *)p, n);
        p += n;
        p += strspn(p, " ");
    }
    jw_array_end(w);
    jw_key(w, "section");
    jw_str(w, r->section);
    jw_key(w, "message");
    jw_str(w, r->message);
    jw_key(w, "statement");
    jw_str(w, r->statement);
    jw_object_end(w);
    jw_line_end(w);
}

/* Display width of UTF-8 text: code points (every string here is text
 * of one-column characters). */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0u) != 0x80u)
            n++;
    return n;
}

static void padded(struct obuf *b, const char *s, size_t width)
{
    obuf_puts(b, s);
    size_t w = text_width(s);
    obuf_fill(b, ' ', width > w ? width - w + 2 : 2);
}

/* "3.1 3.1.1 5.0" → "3.1,3.1.1,5.0" into buf. */
static const char *versions_commas(const char *v, char *buf, size_t len)
{
    size_t i = 0;
    for (; *v && i + 1 < len; v++)
        buf[i++] = *v == ' ' ? ',' : *v;
    buf[i] = '\0';
    return buf;
}

int out_rules_list(FILE *out, const struct rule_catalogue *cats, size_t ncats, bool json)
{
    struct obuf b;
    if (obuf_init(&b, out, 0) != 0)
        return -1;
    struct json_writer w;
    jw_init(&w, &b);
    size_t wid = 2, wsev = 8, wver = 8, wname = 4;
    for (size_t c = 0; c < ncats; c++)
        for (size_t i = 0; i < cats[c].n; i++) {
            const struct rule_entry *r = &cats[c].rules[i];
            wid = text_width(r->id) > wid ? text_width(r->id) : wid;
            wver = text_width(r->versions) > wver ? text_width(r->versions) : wver;
            wname = text_width(r->name) > wname ? text_width(r->name) : wname;
        }
    if (!json) {
        padded(&b, "ID", wid);
        padded(&b, "SEVERITY", wsev);
        padded(&b, "VERSIONS", wver);
        padded(&b, "NAME", wname);
        obuf_puts(&b, "MESSAGE\n");
    }
    for (size_t c = 0; c < ncats; c++)
        for (size_t i = 0; i < cats[c].n; i++) {
            const struct rule_entry *r = &cats[c].rules[i];
            if (json) {
                rule_json(&w, r, cats[c].name);
                continue;
            }
            char vbuf[64];
            padded(&b, r->id, wid);
            padded(&b, mqd_severity_name(r->severity), wsev);
            padded(&b, versions_commas(r->versions, vbuf, sizeof vbuf), wver);
            padded(&b, r->name, wname);
            obuf_puts(&b, r->message);
            obuf_putc(&b, '\n');
        }
    int rc = obuf_flush(&b);
    obuf_free(&b);
    return rc;
}

const struct rule_entry *out_rules_find(const struct rule_catalogue *cats, size_t ncats,
                                        const char *key, const char **catalogue)
{
    for (int by_id = 0; by_id < 2; by_id++)
        for (size_t c = 0; c < ncats; c++)
            for (size_t i = 0; i < cats[c].n; i++) {
                const struct rule_entry *r = &cats[c].rules[i];
                if (strcmp(by_id ? r->id : r->name, key) == 0) {
                    if (catalogue)
                        *catalogue = cats[c].name;
                    return r;
                }
            }
    return NULL;
}

/* `text` wrapped at 76 columns, each line indented by `indent` spaces
 * after the first. */
static void wrapped(struct obuf *b, const char *text, size_t indent)
{
    size_t col = indent;
    const char *p = text;
    bool first = true;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (!first && col + 1 + n > 76) {
            obuf_putc(b, '\n');
            obuf_fill(b, ' ', indent);
            col = indent;
        } else if (!first) {
            obuf_putc(b, ' ');
            col++;
        }
        obuf_write(b, p, n);
        col += n;
        first = false;
        p += n;
        p += strspn(p, " ");
    }
    obuf_putc(b, '\n');
}

int out_rules_explain(FILE *out, const struct rule_entry *r, const char *catalogue, bool json)
{
    struct obuf b;
    if (obuf_init(&b, out, 0) != 0)
        return -1;
    if (json) {
        struct json_writer w;
        jw_init(&w, &b);
        rule_json(&w, r, catalogue);
    } else {
        char vbuf[64];
        obuf_puts(&b, r->id);
        obuf_puts(&b, "  ");
        obuf_puts(&b, r->name);
        obuf_puts(&b, "\n  severity:  ");
        obuf_puts(&b, mqd_severity_name(r->severity));
        obuf_puts(&b, "\n  versions:  ");
        obuf_puts(&b, versions_commas(r->versions, vbuf, sizeof vbuf));
        obuf_puts(&b, "\n  section:   ");
        obuf_puts(&b, r->section);
        obuf_puts(&b, "\n  message:   ");
        wrapped(&b, r->message, 13);
        obuf_puts(&b, "  statement: ");
        wrapped(&b, r->statement, 13);
    }
    int rc = obuf_flush(&b);
    obuf_free(&b);
    return rc;
}
