/* The path every captured frame takes: link layer, IP, TCP reassembly (the
 * flow table), the MQTT stream decoder and parser (dissect/), and the
 * output. One pipeline per run; per-connection MQTT state lives in the
 * connections' app slots. */
#ifndef MQD_CLI_PIPELINE_H
#define MQD_CLI_PIPELINE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/capture.h"
#include "output/output.h"

struct options; /* options.h */
struct capture_save; /* net/capture_save.h */


struct pipeline;

/* NULL when out of memory. Messages and events go to `out`. With
 * two_threads, the flow table (IP, TCP reassembly) runs on the caller's
 * thread and everything after it on a second one (flow_events.h): no
 * --stats then, whose live summaries read both sides. */
struct pipeline *pipeline_new(const struct options *o, struct output *out,
                              bool two_threads);

/* With two threads (pipeline_new), when the reading thread has a CPU to
 * itself: it takes a share of the decoding thread's work (it decrypts some
 * TLS connections; pipeline_share.c). The output is the same. After
 * pipeline_use_secrets, before the first packet. */
void pipeline_share_work(struct pipeline *p);

/* The Decryption Secrets Blocks of the input (capture_secrets): a TLS key
 * log among them is used as if given with --tls-keylog. Before the first
 * frame. */
void pipeline_use_secrets(struct pipeline *p, const struct capture_secret *s, size_t n);

/* One captured frame of link type `dlt`; `frame` is its 1-based number. */
void pipeline_frame(struct pipeline *p, int dlt, const struct pcap_pkthdr *h,
                    const uint8_t *bytes, uint64_t frame);

/* -w: which flows' packets are written (capture_save.h). Before the first
 * frame; the pipeline then runs on one thread. */
void pipeline_set_save(struct pipeline *p, struct capture_save *save);

/* -w: the flow tag (capture_save_tag) of the last pipeline_frame's frame;
 * 0: none. */
uint32_t pipeline_frame_tag(const struct pipeline *p);

/* -w: the last frame's IP datagram when it is a fragment; 0: not one
 * (flow_table_frame_fragment). */
uint32_t pipeline_frame_fragment(const struct pipeline *p);

/* Everything decoded so far is written (the decoding thread drained, the
 * output flushed). */
void pipeline_flush(struct pipeline *p);

/* --stats: the summary now, on stdout after what was printed (SIGUSR1).
 * Nothing without --stats. */
void pipeline_stats_now(struct pipeline *p);

/* The capture counts through the output (output_capture), after what was
 * printed: with -T json a {"event":"capture_stats",...} line, with
 * "worker":K when worker is not 0 (--fanout GROUP,N); nothing in text and
 * EVE. */
void pipeline_write_capture_stats(struct pipeline *p, const struct capture_stats *cs,
                                  unsigned worker);

/* True once -c N messages have been printed: stop reading. */
bool pipeline_done(const struct pipeline *p);

/* End of input: connections deliver what they hold, messages cut off at
 * the end are reported, --stats writes its summary. 0, or -1 when a
 * summary (at the end or a live one) could not be written: the output's
 * own failures are output_close's to report. */
int pipeline_finish(struct pipeline *p);

const struct pipeline_stats *pipeline_stats(const struct pipeline *p);

/* Prints the end-of-run summary (counts, reassembly figures) to `f`. */
void pipeline_print_summary(const struct pipeline *p, FILE *f);

void pipeline_free(struct pipeline *p);

#endif
