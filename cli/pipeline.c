/* The pipeline: flow table callbacks → per-connection MQTT state → stream
 * decoder → parser → output. Here: set-up, frames in, the end, summaries;
 * the TCP callbacks are in pipeline_tcp.c, MQTT messages in
 * pipeline_mqtt.c, MQTT-SN in pipeline_sn.c. */
#include "pipeline_priv.h"

#include "options.h"
#include "output/output.h"
#include "util/timefmt.h"
#include "util/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- MQTT-SN over UDP (pipeline_sn.c) ---- */

/* A selected MQTT-SN message counts toward -c like an MQTT one. */
static void on_udp(void *ctx, const struct pkt_endpoint *src,
                   const struct pkt_endpoint *dst, const uint8_t *data,
                   size_t len, size_t wirelen, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    if (!p->sn || pipeline_done(p))
        return;
    bool chosen = pipeline_sn_udp(p->sn, src, dst, data, len, wirelen, pkt,
                                  pipeline_printing(p));
    if (p->save)
        p->frame_sn_tag = capture_save_tag(pipeline_sn_last_client(p->sn), true);
    if (chosen) {
        pipeline_save_mark(p, p->frame_sn_tag);
        p->selected++;
        if (p->opts->count && p->selected >= p->opts->count)
            pipeline_set_done(p);
    }
}

/* --tls-keylog: every file read now (and again when a connection's client
 * random is not in them yet); malformed lines are said once, not fatal. */
static bool load_keylogs(struct pipeline *p)
{
    const struct options *o = p->opts;
    if ((p->keylog = tls_keylog_new(0)) == NULL)
        return false;
    for (size_t i = 0; i < o->ntls_keylogs; i++) {
        if (tls_keylog_add_file(p->keylog, o->tls_keylogs[i]) != 0) {
            fprintf(stderr, "mqttdissect: --tls-keylog %s: %s\n", o->tls_keylogs[i],
                    strerror(errno));
            tls_keylog_free(p->keylog);
            p->keylog = NULL;
            return false;
        }
    }
    const struct tls_keylog_stats *st = tls_keylog_stats(p->keylog);
    if (st->malformed)
        fprintf(stderr, "mqttdissect: --tls-keylog: %llu malformed line(s) skipped, "
                        "the first at %s:%llu\n",
                (unsigned long long)st->malformed, st->first_malformed_source,
                (unsigned long long)st->first_malformed_line);
    return true;
}

/* A Decryption Secrets Block of the capture file: a TLS key log (type
 * TLSK) is used as if given with --tls-keylog; other secrets are not. */
static void on_dsb(void *ctx, const uint8_t *body, size_t len, bool big_endian)
{
    struct pipeline *p = ctx;
    struct wire w = wire_make(body, len);
    uint32_t type;
    if (!(big_endian ? wire_be32(&w, &type) : wire_le32(&w, &type)) ||
        type != TLS_KEYLOG_DSB_TYPE)
        return;
    if (!p->keylog && (p->keylog = tls_keylog_new(0)) == NULL)
        return;
    if (tls_keylog_add_dsb(p->keylog, body, len, big_endian) < 0)
        fprintf(stderr, "mqttdissect: %s: a Decryption Secrets Block is malformed\n",
                p->opts->read_file);
}

void pipeline_use_secrets(struct pipeline *p, const struct capture_secret *s, size_t n)
{
    uint64_t malformed = p->keylog ? tls_keylog_stats(p->keylog)->malformed : 0;
    for (size_t i = 0; i < n; i++)
        on_dsb(p, s[i].body, s[i].len, s[i].big_endian);
    if (p->keylog && tls_keylog_stats(p->keylog)->malformed > malformed)
        fprintf(stderr, "mqttdissect: %s: %llu malformed key log line(s) in its "
                        "Decryption Secrets Blocks skipped\n", p->opts->read_file,
                (unsigned long long)(tls_keylog_stats(p->keylog)->malformed - malformed));
}

struct pipeline *pipeline_new(const struct options *o, struct output *out,
                              bool two_threads)
{
    /* aligned as its type says (its lines apart from the next allocation's:
     * the decoding thread reads it at every message, the reading thread
     * writes what malloc puts after it) */
    struct pipeline *p = aligned_alloc(_Alignof(struct pipeline), sizeof *p);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->opts = o;
    p->out = out;
    /* 0 (options not parsed): the default */
    p->stream_memcap = o->stream_memcap ? o->stream_memcap : OPT_STREAM_MEMCAP_DEFAULT;
    if (o->stats) {
        p->st = stats_new();
        if (!p->st) {
            free(p);
            return NULL;
        }
    }
    struct flow_config cfg = {
        .max_conns = o->max_conns, /* 0 (options not parsed): the table's default */
        /* A file: no eviction on idle time alone (a quiet connection is not
         * split in two; max_conns bounds memory). Live: the default. */
        .idle_timeout_us = o->read_file ? -1 : 0,
        .no_checksum = o->no_checksum,
    };
    struct flow_sink sink = {.on_udp = on_udp};
    pipeline_tcp_callbacks(p, &cfg, &sink); /* TCP: pipeline_tcp.c */
    p->sn = pipeline_sn_new(o, out);
    /* A file is read as fast as it goes; standard input may be a pipe that
     * waits for a live capture. */
    bool steady_input = o->read_file && strcmp(o->read_file, "-") != 0;
    if (p->sn && two_threads)
        /* each connection's state with its stand-in (pipeline_tcp.c) */
        p->events = flow_events_new(&sink, sizeof(struct conn_state), /* NULL: one thread after all */
                                    steady_input);
    p->flows = p->sn ? flow_table_new(&cfg, p->events ? flow_events_sink(p->events)
                                                      : &sink)
                     : NULL;
    /* The key logs are read once the decoding thread is started, while it
     * starts: on the benchmark's TLS capture its first instruction came
     * 2.7 to 3.5 ms after pthread_create when the key log (1.3 ms) was
     * read before (a virtual CPU idle that long wakes slowly), 0.1 to 0.7
     * ms without one. */
    if (!p->flows || (o->ntls_keylogs && !load_keylogs(p))) {
        flow_table_free(p->flows);
        flow_events_free(p->events);
        pipeline_sn_free(p->sn);
        tls_keylog_free(p->keylog);
        stats_free(p->st);
        free(p);
        return NULL;
    }
    return p;
}

/* --stats: the summary on stdout after what is printed so far. 0, or -1
 * when it (or the output before it) could not be written; remembered for
 * pipeline_finish. */
/* The capture time of a summary taken during the capture, as --time
 * shows the records' (rel: since the first packet; delta: since the
 * previous summary, or the first packet). */
static void stats_time(struct pipeline *p, char *buf)
{
    int64_t ts = p->stats_last_us;
    size_t n;
    switch (p->opts->time_format) {
    case TEXT_TIME_ISO: n = fmt_rfc3339(buf, ts, NULL); break;
    case TEXT_TIME_EPOCH: n = fmt_seconds(buf, ts); break;
    case TEXT_TIME_REL: n = fmt_seconds(buf, ts - p->stats_first_us); break;
    case TEXT_TIME_DELTA:
        n = fmt_seconds(buf, ts - (p->stats_have_prev ? p->stats_prev_us : p->stats_first_us));
        break;
    default: n = fmt_clock(buf, ts, NULL); break;
    }
    buf[n] = '\0';
    p->stats_prev_us = ts;
    p->stats_have_prev = true;
}

static int write_stats(struct pipeline *p, bool during)
{
    int rc = output_flush(p->out);
    char at[48];
    struct stats_text_opts to = {.top = p->opts->stats_top, .at = NULL};
    if (during && p->stats_have_first) {
        stats_time(p, at);
        to.at = at;
    }
    if (p->opts->format == OUT_JSON)
        rc |= stats_write_json(p->st, &p->stats, flow_table_stats(p->flows), stdout);
    else if (p->opts->format == OUT_EVE) /* stdout holds EVE records only */
        rc |= stats_write_text(p->st, &p->stats, flow_table_stats(p->flows), &to, stderr);
    else
        rc |= stats_write_text(p->st, &p->stats, flow_table_stats(p->flows), &to, stdout);
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = -1;
    if (rc != 0)
        p->write_failed = true;
    return rc != 0 ? -1 : 0;
}

/* Live summaries every --stats-interval seconds of capture time (and on
 * request: pipeline_stats_now). */
static void live_stats(struct pipeline *p, const struct pcap_pkthdr *h)
{
    int64_t now = pkt_timestamp_us(&h->ts);
    bool due = false;
    if (!p->stats_have_first) {
        p->stats_have_first = true;
        p->stats_first_us = now;
    }
    p->stats_last_us = now;
    if (p->opts->stats_interval) {
        int64_t step = (int64_t)p->opts->stats_interval * 1000000;
        if (p->stats_next_us == 0)
            p->stats_next_us = now + step;
        else if (now >= p->stats_next_us) {
            /* The next boundary after now, however far time jumped. */
            due = true;
            p->stats_next_us = now + step - (now - p->stats_next_us) % step;
        }
    }
    if (due)
        (void)write_stats(p, true); /* a failure is remembered (write_failed) */
}

void pipeline_frame(struct pipeline *p, int dlt, const struct pcap_pkthdr *h,
                    const uint8_t *bytes, uint64_t frame)
{
    /* -w only (one thread then): with two, this line is the decoding
     * thread's, read at every message, and a write here at every packet
     * took it away from that thread's cache each time */
    if (p->save)
        p->frame_sn_tag = 0;
    flow_table_frame(p->flows, dlt, h, bytes, frame);
    if (p->st)
        live_stats(p, h);
}

void pipeline_set_save(struct pipeline *p, struct capture_save *save)
{
    p->save = save;
}

uint32_t pipeline_frame_fragment(const struct pipeline *p)
{
    return flow_table_frame_fragment(p->flows);
}

uint32_t pipeline_frame_tag(const struct pipeline *p)
{
    uint64_t conn = flow_table_frame_conn(p->flows);
    return conn ? capture_save_tag(conn, false) : p->frame_sn_tag;
}

void pipeline_flush(struct pipeline *p)
{
    if (p->events)
        flow_events_drain(p->events);
    (void)output_flush(p->out);
}

void pipeline_stats_now(struct pipeline *p)
{
    if (p->st)
        write_stats(p, true);
}

void pipeline_write_capture_stats(struct pipeline *p, const struct capture_stats *cs,
                                  unsigned worker)
{
    struct capture_stats_record r = {
        .received = cs->received,
        .dropped = cs->dropped,
        .if_dropped = cs->if_dropped,
        .queue_dropped = cs->queue_dropped,
        .worker = worker,
    };
    /* After every record of what was captured so far: the decoding thread
     * drained (it is idle until this thread hands it more), then written
     * through the output like every record. */
    if (p->events)
        flow_events_drain(p->events);
    output_capture(p->out, &r);
    (void)output_flush(p->out);
}

bool pipeline_printing(const struct pipeline *p)
{
    return !p->opts->quiet && !pipeline_done(p);
}

bool pipeline_done(const struct pipeline *p)
{
    /* Set on the decoding thread, read also on the reading thread. */
    return __atomic_load_n(&p->done, __ATOMIC_RELAXED);
}

int pipeline_finish(struct pipeline *p)
{
    flow_table_flush(p->flows, NULL);
    if (p->events)
        flow_events_drain(p->events);
    if (p->st)
        (void)write_stats(p, false);
    return p->write_failed ? -1 : 0;
}

const struct pipeline_stats *pipeline_stats(const struct pipeline *p)
{
    return &p->stats;
}

void pipeline_print_summary(const struct pipeline *p, FILE *f)
{
    const struct pipeline_stats *s = &p->stats;
    const struct flow_stats *fs = flow_table_stats(p->flows);
    /* mqtt_conns and tls_conns count apart (as --stats' JSON keeps them);
     * here the TLS ones are among the connections ("on 2000 connections
     * (2000 TLS)", not "on 0 connections (2000 TLS)" once decrypted). */
    fprintf(f, "mqttdissect: %llu frames, %llu MQTT messages on %llu connections "
               "(%llu TLS), %llu violations in %llu messages\n",
            (unsigned long long)fs->frames, (unsigned long long)s->messages,
            (unsigned long long)(s->mqtt_conns + s->tls_conns),
            (unsigned long long)s->tls_conns,
            (unsigned long long)s->violations,
            (unsigned long long)s->messages_with_violations);
    if (p->keylog)
        fprintf(f, "mqttdissect: TLS with --tls-keylog: %llu connections decrypted, "
                   "%llu without a key, %llu records failed authentication\n",
                (unsigned long long)p->tls_decrypted, (unsigned long long)p->tls_no_key,
                (unsigned long long)p->tls_auth_failures);
    fputs("mqttdissect: messages by type:", f);
    for (int t = 0; t < 16; t++)
        if (s->by_type[t])
            fprintf(f, " %s=%llu", mqd_type_name((uint8_t)t),
                    (unsigned long long)s->by_type[t]);
    fputc('\n', f);
    fprintf(f, "mqttdissect: reassembly: %llu out-of-order segments, %llu duplicate "
               "bytes, %llu conflicts, %llu gaps (%llu bytes lost), %llu idle "
               "evictions, %llu table evictions, %llu bad_checksum, %llu IP "
               "fragments (%llu datagrams reassembled, %llu conflicts, %llu "
               "discarded)\n",
            (unsigned long long)fs->reasm.ooo_segments,
            (unsigned long long)fs->reasm.dup_bytes,
            (unsigned long long)fs->reasm.conflicts,
            (unsigned long long)fs->reasm.gaps,
            (unsigned long long)fs->reasm.gap_bytes,
            (unsigned long long)fs->evicted_idle,
            (unsigned long long)fs->evicted_full,
            (unsigned long long)fs->bad_checksum,
            (unsigned long long)fs->fragments,
            (unsigned long long)fs->frag_reassembled,
            (unsigned long long)fs->frag_conflicts,
            (unsigned long long)fs->frag_discarded);
    if (fs->after_close_segments || fs->reused || fs->rst_ignored)
        fprintf(f, "mqttdissect: connection ends: %llu reused by a new SYN, %llu RSTs "
                   "outside the window ignored, %llu segments after the end (%llu "
                   "bytes not decoded)\n",
                (unsigned long long)fs->reused, (unsigned long long)fs->rst_ignored,
                (unsigned long long)fs->after_close_segments,
                (unsigned long long)fs->after_close_bytes);
    fprintf(f, "mqttdissect: framing: %llu oversize frames skipped, %llu framing "
               "errors, %llu resyncs, %llu messages cut off at the end\n",
            (unsigned long long)s->oversize_frames,
            (unsigned long long)s->framing_errors, (unsigned long long)s->resyncs,
            (unsigned long long)s->truncated_at_end);
    if (s->memcap_drops)
        fprintf(f, "mqttdissect: --stream-memcap %llu: %llu partial frames given up "
                   "(\"stream_memcap\" events)\n",
                (unsigned long long)p->stream_memcap,
                (unsigned long long)s->memcap_drops);
    const struct sn_registry_stats *sn = pipeline_sn_stats(p->sn);
    if (sn->datagrams == 0)
        return;
    fprintf(f, "mqttdissect: MQTT-SN: %llu datagrams, %llu messages from %llu "
               "clients, %llu violations in %llu messages, %llu undecodable, "
               "%llu cut short, %llu publishes to unknown topic ids\n",
            (unsigned long long)sn->datagrams, (unsigned long long)sn->messages,
            (unsigned long long)sn->clients, (unsigned long long)sn->violations,
            (unsigned long long)sn->messages_with_violations,
            (unsigned long long)sn->undecodable, (unsigned long long)sn->cut,
            (unsigned long long)sn->topics_unknown);
}

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    flow_events_free(p->events);
    flow_table_free(p->flows);
    pipeline_sn_free(p->sn);
    tls_keylog_free(p->keylog); /* after the connections that point to it */
    stats_free(p->st);
    spb_state_free(p->spb);
    free(p->resume);
    free(p);
}
