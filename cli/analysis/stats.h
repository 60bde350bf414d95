/* The --stats summary: counts per packet type, top topics by messages and
 * by payload bytes, per-client counts, the QoS mix, latency percentiles per
 * request/response pair, violations by rule, per-connection state and the
 * reassembly figures. Printed as aligned text tables or as one JSON object
 * {"stats":{...}} on one line.
 *
 * Memory is bounded: at most STATS_MAX_TOPICS topics and STATS_MAX_CLIENTS
 * clients are counted by name (the rest under "(other)"), at most
 * STATS_MAX_CONNS connections are listed. Latencies go into log-linear
 * histograms (64 buckets per power of two): a percentile is the middle of
 * its bucket, within 0.8% of the exact value; max and min are exact.
 */
#ifndef MQD_CLI_STATS_H
#define MQD_CLI_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "net/flow_table.h"
#include "mqttdissect/frame.h"
#include "record.h"
#include "analysis/session.h"

#define STATS_MAX_TOPICS 4096u
#define STATS_TOPIC_BYTES (1u << 20) /* topic names kept, in all */
#define STATS_MAX_CLIENTS 4096u
#define STATS_MAX_CONNS 1000u
#define STATS_TOP_N 10u       /* JSON: topics listed per ranking */
#define STATS_TEXT_TOP_N 20u  /* text: rows of the topic, client and
                                 connection tables (--top) */

/* Latency histogram (microseconds). */
#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_EXP 34 /* values up to 2^40 us (12 days); above: clamped */
#define HIST_BUCKETS (HIST_SUB * (HIST_MAX_EXP + 1))

struct latency_hist {
    uint64_t count;
    int64_t min, max;
    uint64_t sum;
    uint64_t buckets[HIST_BUCKETS];
};

void hist_add(struct latency_hist *h, int64_t us);
/* The p-th percentile (0 < p <= 100) of the samples: the middle of the
 * bucket holding the sample of rank ceil(p/100 × count), clamped to
 * [min, max]; 0 when empty. */
int64_t hist_percentile(const struct latency_hist *h, double p);

/* Which client a connection's messages count for: kept by the caller per
 * connection, so the name is looked up once, not per message. */
struct stats_client_ref {
    int idx;    /* -1: not yet looked up */
    bool named; /* looked up after the CONNECT was seen */
    bool assigned; /* looked up after the CONNACK assigned the id */
    /* What the client sent under its CONNECT's empty id, until the CONNACK
     * (the server sends nothing before it): moved to the assigned id. */
    uint16_t held_sent, held_pub_sent;
    uint32_t held_bytes;
};
#define STATS_CLIENT_REF_INIT {.idx = -1}

struct stats;

struct stats *stats_new(void);
void stats_free(struct stats *st);

/* One decoded message of direction `dir` (0 client → server), after the
 * session has analysed it. */
void stats_message(struct stats *st, struct stats_client_ref *ref,
                   const struct session_info *info, int dir, const mqd_frame *f,
                   const struct msg_analysis *an, const struct session_step *step);

/* A state violation reported as an event (at close). */
void stats_event_violation(struct stats *st, uint16_t rule);

/* A connection ended: its state goes into the connection list. */
void stats_connection(struct stats *st, uint64_t conn, const struct session_info *info,
                      const struct session_close_report *r);

/* The Sparkplug B state whose counts make the summary's Sparkplug section
 * (printed when it saw Sparkplug traffic). It must outlive st's last
 * summary. */
struct spb_state;
void stats_set_sparkplug(struct stats *st, const struct spb_state *spb);

/* Messages counted so far. */
uint64_t stats_messages(const struct stats *st);

/* How the text summary is written. */
struct stats_text_opts {
    uint32_t top;   /* rows of the topic, client and connection tables;
                       0: all of them */
    const char *at; /* a summary during the capture (--stats-interval,
                       SIGUSR1): the capture time it was taken at, as the
                       records show time; NULL: the summary at the end */
};

/* Writes the summary to out: text tables (`to` NULL: STATS_TEXT_TOP_N rows,
 * the end's header), or one line {"stats":{...}}. The pipeline and flow
 * figures may be NULL. Tables with nothing in them are left out. 0, or -1
 * on a write error. */
int stats_write_text(const struct stats *st, const struct pipeline_stats *ps,
                     const struct flow_stats *fs, const struct stats_text_opts *to,
                     FILE *out);
int stats_write_json(const struct stats *st, const struct pipeline_stats *ps,
                     const struct flow_stats *fs, FILE *out);

#endif
