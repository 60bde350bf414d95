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
 *   struct flow_events *fe = flow_events_new(&pipeline_sink, 0, true);
 *   flow_table_new(&cfg, flow_events_sink(fe));   the table records
 *   ... frames ...
 *   flow_events_drain(fe);   everything recorded has been delivered
 *   flow_events_free(fe);
 *
 * A stage (struct flow_stage, set before the first event) does work for the
 * consumer on the recording thread: it may claim a connection when it
 * opens; that connection's bytes and gaps then go to the stage, which
 * hands the consumer notes (its on_note, in order with the connection's
 * other events) instead of, or as long as it says besides, the bytes. The
 * consumer sees FLOW_STAGED in the stand-in's flags from on_open on. The
 * stage's state of a connection lives with its stand-in, before it.
 */
#ifndef MQD_CLI_FLOW_EVENTS_H
#define MQD_CLI_FLOW_EVENTS_H

#include "net/flow_table.h"

struct flow_events;

/* Starts the consumer thread; `consumer` is copied; app_size: see above
 * (0: none, `app` NULL at on_open). steady_input: the recording thread
 * never waits for its input (a file), so a wait for the other thread is
 * short unless that one is asleep: each watches for the other longer
 * before it sleeps (flow_events.c). NULL when out of memory or no thread
 * could be started. */
struct flow_events *flow_events_new(const struct flow_sink *consumer,
                                    size_t app_size, bool steady_input);

/* The sink to give the flow table: it records. */
const struct flow_sink *flow_events_sink(const struct flow_events *fe);

/* Hands over what is recorded and waits until the consumer has delivered
 * all of it. */
void flow_events_drain(struct flow_events *fe);

/* How a stage sends the consumer a note about the connection it was given
 * (ctx): head (nhead bytes) then bytes (n) arrive as one note of direction
 * dir, at the consumer's on_note. */
typedef void (*flow_note_fn)(void *ctx, int dir, const void *head, size_t nhead,
                             const uint8_t *bytes, size_t n);

struct flow_stage {
    void *ctx;
    /* The bytes of a claimed connection's state, kept with its stand-in
     * (aligned to 64, on cache lines of the producer's own). */
    size_t state_size;
    /* At c's opening: does the stage take c's bytes? */
    bool (*claim)(void *ctx, const struct flow_conn *c);
    /* Then: sets the state up in `state`. */
    void (*init)(void *ctx, void *state);
    /* The table found a segment of c's dir: ask for the cache lines data()
     * or gap() will read first (without reading them). Optional. */
    void (*prefetch)(const void *state, int dir);
    /* c's bytes of dir, in order; notes go out through note(note_ctx, ...).
     * Returns whether the consumer gets c's next bytes besides (on_data,
     * before the notes made of them); it gets the first bytes. */
    bool (*data)(void *state, int dir, const uint8_t *data, size_t len,
                 flow_note_fn note, void *note_ctx);
    /* len bytes of dir were lost (the consumer's on_gap is told first). */
    void (*gap)(void *state, int dir, uint64_t len, flow_note_fn note,
                void *note_ctx);
    /* c is closing (or could not be recorded): releases what the state
     * holds (not its memory). */
    void (*fini)(void *state);
};

void flow_events_set_stage(struct flow_events *fe, const struct flow_stage *stage);

/* Drains, stops the thread, frees. NULL is fine. */
void flow_events_free(struct flow_events *fe);

#endif
