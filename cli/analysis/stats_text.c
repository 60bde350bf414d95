/* The --stats summary as aligned text tables. See stats.h. */
#include <stdlib.h>

#include "util/text_escape.h"
#include "mqttdissect/names.h"
#include "mqttdissect/rules.h"
#include "analysis/stats.h"
#include "analysis/stats_priv.h"
#include "mqttdissect/utf8.h"

#define NAME_COL_MAX 48

/* Columns (code points) of escaped text: it is well-formed UTF-8. */
static size_t columns(const char *s, size_t n)
{
    size_t cols = 0;
    for (size_t i = 0; i < n; i++)
        cols += ((uint8_t)s[i] & 0xC0) != 0x80;
    return cols;
}

/* Bytes of the character at s[0..n): a UTF-8 sequence, or one byte that
 * is not part of one. */
static size_t char_len(const uint8_t *s, size_t n)
{
    size_t len = 1;
    if (s[0] >= 0x80)
        (void)mqd_utf8_scan(s, n, &len);
    return len ? len : 1;
}

/* A name shown exactly as the message printer shows a string
 * (util/text_escape.h) but without quotes, cut to NAME_COL_MAX columns
 * with "…", appended to b; returns its columns. */
static size_t shown_name(struct obuf *b, const uint8_t *s, size_t len)
{
    size_t start = obuf_len(b);
    text_escape(b, s, len);
    size_t cols = columns(obuf_data(b) + start, obuf_len(b) - start);
    if (cols <= NAME_COL_MAX)
        return cols;
    /* Too wide: character by character, never cutting an escape. */
    obuf_truncate(b, start);
    cols = 0;
    for (size_t i = 0; i < len;) {
        size_t n = char_len(s + i, len - i), before = obuf_len(b);
        text_escape(b, s + i, n);
        size_t w = columns(obuf_data(b) + before, obuf_len(b) - before);
        if (cols + w > NAME_COL_MAX - 1) {
            obuf_truncate(b, before);
            break;
        }
        cols += w;
        i += n;
    }
    obuf_puts(b, TEXT_ELLIPSIS);
    return cols + 1;
}

/* Writes a name (shown_name) to out; returns its columns. */
static size_t text_name(FILE *out, const uint8_t *s, size_t len)
{
    struct obuf b;
    if (obuf_init(&b, NULL, 256) != 0)
        return 0;
    size_t cols = shown_name(&b, s, len);
    fwrite(obuf_data(&b), 1, obuf_len(&b), out);
    obuf_free(&b);
    return cols;
}

static void pad(FILE *out, size_t used, size_t width)
{
    for (size_t i = used; i < width; i++)
        fputc(' ', out);
}

/* The names of a table's rows, each escaped once: measured for the column
 * width, then written from here. */
struct shown_names {
    struct obuf b;   /* the names, one after the other */
    size_t *end;     /* name i is b[end[i-1] (0 for i = 0), end[i]) */
    size_t *cols;    /* its columns */
    size_t width;    /* the widest, at least the header's */
};

static bool shown_names_make(struct shown_names *sn, const struct name_table *t,
                             const uint32_t *idx, uint32_t n, size_t min)
{
    sn->width = min;
    sn->end = malloc((n ? n : 1) * sizeof *sn->end);
    sn->cols = malloc((n ? n : 1) * sizeof *sn->cols);
    if (!sn->end || !sn->cols || obuf_init(&sn->b, NULL, 256) != 0) {
        free(sn->end);
        free(sn->cols);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *s = stats_entry_name(t, idx[i], &len);
        sn->cols[i] = shown_name(&sn->b, s, len);
        sn->end[i] = obuf_len(&sn->b);
        if (sn->cols[i] > sn->width)
            sn->width = sn->cols[i];
    }
    return true;
}

/* Row i's name, padded to the column. */
static void shown_names_put(const struct shown_names *sn, uint32_t i, FILE *out)
{
    size_t from = i ? sn->end[i - 1] : 0;
    fwrite(obuf_data(&sn->b) + from, 1, sn->end[i] - from, out);
    pad(out, sn->cols[i], sn->width);
}

static void shown_names_free(struct shown_names *sn)
{
    obuf_free(&sn->b);
    free(sn->end);
    free(sn->cols);
}

/* "2,000" */
static void put_grouped(FILE *out, uint64_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            fputc(',', out);
        fputc(digits[i], out);
    }
}

/* A table's title, with " (top 20 of 2,000)" when rows were left out. */
static void title(FILE *out, const char *text, const char *word, uint32_t shown,
                  uint64_t total)
{
    fprintf(out, "\n%s", text);
    if (shown < total) {
        fprintf(out, " (%s %lu of ", word, (unsigned long)shown);
        put_grouped(out, total);
        fputc(')', out);
    }
    fputc('\n', out);
}

static void text_topics(FILE *out, const struct stats *st, int by, const char *what,
                        uint32_t top)
{
    uint32_t n;
    uint32_t *idx = stats_rank(&st->topics, by, top, &n);
    struct shown_names sn;
    if (n == 0 || !shown_names_make(&sn, &st->topics, idx, n, 5)) {
        free(idx);
        return;
    }
    title(out, what, "top", n, st->topics.n);
    fputs("  TOPIC", out);
    pad(out, 5, sn.width);
    fprintf(out, " %10s %14s\n", "MESSAGES", "PAYLOAD_BYTES");
    for (uint32_t i = 0; i < n; i++) {
        fputs("  ", out);
        shown_names_put(&sn, i, out);
        fprintf(out, " %10llu %14llu\n",
                (unsigned long long)st->topics.e[idx[i]].c[C_MSGS],
                (unsigned long long)st->topics.e[idx[i]].c[C_BYTES]);
    }
    shown_names_free(&sn);
    free(idx);
}

static void text_clients(FILE *out, const struct stats *st, uint32_t top)
{
    uint32_t n;
    uint32_t *idx = stats_rank(&st->clients, C_SENT, top ? top : STATS_MAX_CLIENTS, &n);
    struct shown_names sn;
    if (n == 0 || !shown_names_make(&sn, &st->clients, idx, n, 9)) {
        free(idx);
        return;
    }
    title(out, "Clients", "top", n, st->clients.n);
    fputs("  CLIENT_ID", out);
    pad(out, 9, sn.width);
    fprintf(out, " %5s %8s %8s %8s %8s %12s %12s\n", "CONNS", "SENT", "RECEIVED",
            "PUB_SENT", "PUB_RECV", "BYTES_SENT", "BYTES_RECV");
    for (uint32_t i = 0; i < n; i++) {
        const uint64_t *c = st->clients.e[idx[i]].c;
        fputs("  ", out);
        shown_names_put(&sn, i, out);
        fprintf(out, " %5llu %8llu %8llu %8llu %8llu %12llu %12llu\n",
                (unsigned long long)c[C_CONNS], (unsigned long long)c[C_SENT],
                (unsigned long long)c[C_RECV], (unsigned long long)c[C_PUB_SENT],
                (unsigned long long)c[C_PUB_RECV], (unsigned long long)c[C_BYTES],
                (unsigned long long)c[C_BYTES_RECV]);
    }
    shown_names_free(&sn);
    free(idx);
}

static void text_latency(FILE *out, const struct stats *st)
{
    bool any = false;
    for (int p = PAIR_NONE + 1; p < PAIR_COUNT; p++)
        any |= st->lat[p].count != 0;
    if (!any)
        return;
    fputs("\nLatency in microseconds (percentiles from a log-linear histogram, "
          "within 0.8%; min and max exact)\n", out);
    fprintf(out, "  %-22s %8s %10s %10s %10s %10s %10s\n", "PAIR", "COUNT", "MIN",
            "P50", "P90", "P99", "MAX");
    for (int p = PAIR_NONE + 1; p < PAIR_COUNT; p++) {
        const struct latency_hist *h = &st->lat[p];
        if (h->count == 0)
            continue;
        fprintf(out, "  %-22s %8llu %10lld %10lld %10lld %10lld %10lld\n",
                session_pair_name(p), (unsigned long long)h->count, (long long)h->min,
                (long long)hist_percentile(h, 50), (long long)hist_percentile(h, 90),
                (long long)hist_percentile(h, 99), (long long)h->max);
    }
}

static void text_violations(FILE *out, const struct stats *st)
{
    if (st->violations == 0 && st->violations_dropped == 0)
        return;
    fprintf(out, "\nViolations by rule (%llu in all)\n", (unsigned long long)st->violations);
    fprintf(out, "  %-28s %-42s %-8s %8s\n", "RULE", "NAME", "SEVERITY", "COUNT");
    for (uint16_t r = 0; r < MQD_RULE_COUNT; r++) {
        if (!st->by_rule[r])
            continue;
        const mqd_rule_info *ri = mqd_rule_get(r);
        fprintf(out, "  %-28s %-42s %-8s %8llu\n", ri->id, ri->name,
                mqd_severity_name(ri->severity), (unsigned long long)st->by_rule[r]);
    }
    if (st->violations_dropped)
        fprintf(out, "  %-28s %-42s %-8s %8llu\n", "-", "(dropped: past 32 in one packet)",
                "-", (unsigned long long)st->violations_dropped);
}

static void text_limit(FILE *out, const struct session_limits *l, uint32_t v)
{
    if (l->known)
        fprintf(out, " %10lu", (unsigned long)v);
    else
        fprintf(out, " %10s", "-");
}

static void text_conns(FILE *out, const struct stats *st, uint32_t top)
{
    uint32_t n = top && st->nconns > top ? top : st->nconns;
    if (n == 0)
        return;
    title(out, "Connections (receive max / max packet size / topic alias max: as "
               "declared by the client in CONNECT, then by the server in CONNACK)",
          "first", n, st->nconns + st->conns_unlisted);
    fprintf(out, "  %5s %-24s %-3s %5s %5s %10s %-16s %-4s %10s %10s %10s %10s %10s %10s %8s\n",
            "CONN", "CLIENT_ID", "VER", "KEEPA", "CLEAN", "EXPIRY", "USERNAME", "WILL",
            "RECVMAX_C", "RECVMAX_S", "MAXPKT_C", "MAXPKT_S", "ALIASMAX_C", "ALIASMAX_S",
            "UNACKED");
    for (uint32_t i = 0; i < n; i++) {
        const struct conn_rec *c = &st->conns[i];
        const struct session_info *in = &c->info;
        fprintf(out, "  %5llu ", (unsigned long long)c->conn);
        size_t used = in->client_id.present
                          ? text_name(out, (const uint8_t *)in->client_id.s, in->client_id.len)
                          : (fputs(in->midstream ? "(midstream)" : "-", out),
                             in->midstream ? 11u : 1u);
        pad(out, used, 24);
        fprintf(out, " %-3s", in->connect_seen ? mqd_version_name(in->version) : "-");
        fprintf(out, " %5u %5s", (unsigned)in->keep_alive,
                in->connect_seen ? (in->clean_start ? "yes" : "no") : "-");
        if (in->session_expiry_present)
            fprintf(out, " %10lu ", (unsigned long)in->session_expiry);
        else
            fprintf(out, " %10s ", "-");
        used = in->username.present
                   ? text_name(out, (const uint8_t *)in->username.s, in->username.len)
                   : (fputc('-', out), 1u);
        pad(out, used, 16);
        fprintf(out, " %-4s", in->will ? "yes" : "no");
        text_limit(out, &in->client_limits, in->client_limits.receive_maximum);
        text_limit(out, &in->server_limits, in->server_limits.receive_maximum);
        text_limit(out, &in->client_limits, in->client_limits.max_packet_size);
        text_limit(out, &in->server_limits, in->server_limits.max_packet_size);
        text_limit(out, &in->client_limits, in->client_limits.topic_alias_maximum);
        text_limit(out, &in->server_limits, in->server_limits.topic_alias_maximum);
        fprintf(out, " %8lu\n", (unsigned long)(c->close.unacked[0] + c->close.unacked[1]));
    }
    if (n == st->nconns && st->conns_unlisted) /* past STATS_MAX_CONNS */
        fprintf(out, "  (%llu more not listed)\n", (unsigned long long)st->conns_unlisted);
}

static void text_transport(FILE *out, const struct pipeline_stats *ps,
                           const struct flow_stats *fs)
{
    fputs("\nReassembly and framing\n", out);
    if (fs) {
        fprintf(out, "  %-28s %12llu\n", "frames", (unsigned long long)fs->frames);
        fprintf(out, "  %-28s %12llu\n", "TCP connections", (unsigned long long)fs->connections);
        fprintf(out, "  %-28s %12llu\n", "out-of-order segments", (unsigned long long)fs->reasm.ooo_segments);
        fprintf(out, "  %-28s %12llu\n", "duplicate bytes", (unsigned long long)fs->reasm.dup_bytes);
        fprintf(out, "  %-28s %12llu\n", "conflicts", (unsigned long long)fs->reasm.conflicts);
        fprintf(out, "  %-28s %12llu\n", "gaps", (unsigned long long)fs->reasm.gaps);
        fprintf(out, "  %-28s %12llu\n", "bytes lost in gaps", (unsigned long long)fs->reasm.gap_bytes);
        fprintf(out, "  %-28s %12llu\n", "idle evictions", (unsigned long long)fs->evicted_idle);
        fprintf(out, "  %-28s %12llu\n", "table evictions", (unsigned long long)fs->evicted_full);
        fprintf(out, "  %-28s %12llu\n", "bad checksums (dropped)", (unsigned long long)fs->bad_checksum);
        fprintf(out, "  %-28s %12llu\n", "IP fragments", (unsigned long long)fs->fragments);
        fprintf(out, "  %-28s %12llu\n", "datagrams defragmented", (unsigned long long)fs->frag_reassembled);
        fprintf(out, "  %-28s %12llu\n", "fragment conflicts", (unsigned long long)fs->frag_conflicts);
        fprintf(out, "  %-28s %12llu\n", "fragmented datagrams lost", (unsigned long long)fs->frag_discarded);
        fprintf(out, "  %-28s %12llu\n", "connections reused (new SYN)", (unsigned long long)fs->reused);
        fprintf(out, "  %-28s %12llu\n", "RSTs outside the window", (unsigned long long)fs->rst_ignored);
        fprintf(out, "  %-28s %12llu\n", "segments after close", (unsigned long long)fs->after_close_segments);
        fprintf(out, "  %-28s %12llu\n", "bytes after close (lost)", (unsigned long long)fs->after_close_bytes);
    }
    if (ps) {
        fprintf(out, "  %-28s %12llu\n", "oversize frames skipped", (unsigned long long)ps->oversize_frames);
        fprintf(out, "  %-28s %12llu\n", "framing errors", (unsigned long long)ps->framing_errors);
        fprintf(out, "  %-28s %12llu\n", "resyncs", (unsigned long long)ps->resyncs);
        fprintf(out, "  %-28s %12llu\n", "messages cut off at the end", (unsigned long long)ps->truncated_at_end);
    }
}

int stats_write_text(const struct stats *st, const struct pipeline_stats *ps,
                     const struct flow_stats *fs, const struct stats_text_opts *to,
                     FILE *out)
{
    uint32_t top = to ? to->top : STATS_TEXT_TOP_N;
    if (to && to->at)
        fprintf(out, "\n== mqttdissect statistics at %s, cumulative since the start: "
                     "%llu messages ==\n", to->at, (unsigned long long)st->messages);
    else
        fprintf(out, "\n== mqttdissect statistics: %llu messages ==\n",
                (unsigned long long)st->messages);
    if (st->messages)
        fputs("\nMessages by type\n", out);
    for (int t = 0; t < 16; t++)
        if (st->by_type[t])
            fprintf(out, "  %-12s %10llu\n", mqd_type_name((uint8_t)t),
                    (unsigned long long)st->by_type[t]);
    if (st->qos[0] + st->qos[1] + st->qos[2] + st->qos[3]) {
        fputs("\nQoS of PUBLISH\n", out);
        for (int q = 0; q < 4; q++)
            if (q < 3 || st->qos[q])
                fprintf(out, "  QoS %d%s %10llu\n", q, q == 3 ? " (invalid)" : "",
                        (unsigned long long)st->qos[q]);
    }
    text_topics(out, st, C_MSGS, "Top topics by messages", top);
    text_topics(out, st, C_BYTES, "Top topics by payload bytes", top);
    if (st->topics.other_names)
        fprintf(out, "  (%llu more topics not counted by name: %llu messages)\n",
                (unsigned long long)st->topics.other_names,
                (unsigned long long)st->topics.other[C_MSGS]);
    text_clients(out, st, top);
    text_latency(out, st);
    text_violations(out, st);
    stats_spb_text(out, st);
    text_conns(out, st, top);
    text_transport(out, ps, fs);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
