/* The flow table's callbacks carried to a second thread: the thread that
 * reads frames also runs the flow table (link layer, IP, TCP reassembly),
 * and the MQTT side (the pipeline's sink: stream decoding, parsing,
 * analysis, output) runs on another, in the same order, with the same
 * arguments. Stream bytes are copied into chunks on the way.
 *
 * The consumer's callbacks get a stand-in struct flow_conn per connection
 * (number, key, flags and holding[] as the table had them at that event;
 * `app` is the consumer's own); it lives from on_open to on_close. With
 * app_size, the stand-in comes with that many zeroed bytes after it, for
 * the consumer's state of the connection (one allocation, not two): at
 * on_open its `app` points to them; they go with it after on_close.
 *
 * Usage:
 *   struct flow_events *fe = flow_events_new(&pipeline_sink, 0);
 *   flow_table_new(&cfg, flow_events_sink(fe));   the table records
 *   ... frames ...
 *   flow_events_drain(fe);   everything recorded has been delivered
 *   flow_events_free(fe);
 */
#ifndef MQD_CLI_FLOW_EVENTS_H
#define MQD_CLI_FLOW_EVENTS_H

#include "net/flow_table.h"

struct flow_events;

/* Starts the consumer thread; `consumer` is copied; app_size: see above
 * (0: none, `app` NULL at on_open). NULL when out of memory or no thread
 * could be started. */
struct flow_events *flow_events_new(const struct flow_sink *consumer,
                                    size_t app_size);

/* The sink to give the flow table: it records. */
const struct flow_sink *flow_events_sink(const struct flow_events *fe);

/* Hands over what is recorded and waits until the consumer has delivered
 * all of it. */
void flow_events_drain(struct flow_events *fe);

/* Drains, stops the thread, frees. NULL is fine. */
void flow_events_free(struct flow_events *fe);

#endif
