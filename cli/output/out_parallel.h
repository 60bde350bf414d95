/* An output that formats on several threads: the calling thread records
 * each message and event compactly into a batch (the frame's bytes, its
 * metadata and analysis, its violations; an MQTT-SN message's datagram,
 * direction and topic view, parsed again with mqd_sn_parse when
 * formatted), and the batches are formatted by
 * a printer per thread (out_text.c or out_json.c, each into memory) and
 * written to the FILE strictly in the order they were recorded. What it
 * prints is byte for byte what the printer alone prints.
 *
 * The calling thread helps format when all batches are in use, so with
 * `threads` = 2 both threads format whenever formatting is the slower
 * stage. output_flush() returns only when everything recorded has been
 * written; then the caller may write to the FILE itself. */
#ifndef MQD_CLI_OUT_PARALLEL_H
#define MQD_CLI_OUT_PARALLEL_H

#include "output/output.h"

/* `threads` counts the calling thread: 2 adds one worker thread. NULL when
 * out of memory or a thread cannot be started (use output_open then). */
struct output *out_parallel_open(enum output_format fmt,
                                 const struct output_opts *opts,
                                 unsigned threads);

#endif
