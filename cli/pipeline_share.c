/* With two threads and a key log, the reading thread decrypts some TLS
 * connections itself (flow_events.h's stage, tls_relay.h) and the decoding
 * thread gets their plaintext: decryption is most of what TLS adds to the
 * decoding thread, which is the slower of the two, and the reading thread
 * has time to spare. On the benchmark's TLS capture (-q, 2000
 * connections; per-thread CPU time, medians of 15 runs) the reading thread
 * used 49 ms and the decoding one 72; with one connection in three
 * decrypted on the reading thread, 64 and 65 ms. In 61 interleaved rounds
 * -q on TLS took 0.0788 s instead of 0.0837 (median; lower quartile 0.0749
 * instead of 0.0800), for 7 % more CPU time in all (the reading thread
 * opens a record colder than the decoding thread, which prefetches
 * several events ahead). Once the reading thread read the file through a
 * larger buffer (net/capture.c), it had more time to spare again: one
 * connection in two took -q on TLS from 0.0692 s to 0.0638 (101
 * interleaved rounds, median of the per-round ratios 0.949, 95 % interval
 * 0.916 to 0.968), for 4 % more CPU time. With one in two the decoding
 * thread waited for chunks 12 ms in all and the reading thread 4 ms for
 * the decoding one; with one in three, 2 and 11 ms. Between the two, two
 * in five: -1.7 % wall and -2.6 % CPU against one in two (301 rounds,
 * 0.973 to 0.994; -2.4 % in another 201), once both threads watched for
 * each other longer (flow_events.c).
 *
 * Which connections: those on a TLS port seen from their start, SHARE_OF
 * in SHARE_EVERY by connection number, the first one included (so that a
 * capture of one connection goes this way too, and its tests with it). The
 * output is the same whichever thread decrypts (tests/test_pipeline_share.c,
 * tests/threads.test.sh). */
#include "pipeline_priv.h"

#include "options.h"
#include "transport/tls_relay.h"

#define SHARE_OF 2
#define SHARE_EVERY 5

static bool claim(void *ctx, const struct flow_conn *c)
{
    const struct pipeline *p = ctx;
    uint16_t port = c->key.ep[1].port;
    if ((c->number - 1) % SHARE_EVERY >= SHARE_OF)
        return false;
    return !(c->flags & (FLOW_MIDSTREAM | FLOW_RESUMED)) &&
           !options_is_mqtt_port(p->opts, port) && options_is_tls_port(p->opts, port);
}

static void init(void *ctx, void *state)
{
    const struct pipeline *p = ctx;
    (void)tls_relay_init(state, p->keylog);
}

static void prefetch(const void *state, int dir)
{
    tls_relay_prefetch(state, dir);
}

static bool data(void *state, int dir, const uint8_t *bytes, size_t len,
                 flow_note_fn note, void *note_ctx)
{
    return tls_relay_data(state, dir, bytes, len, note, note_ctx);
}

static void gap(void *state, int dir, uint64_t len, flow_note_fn note, void *note_ctx)
{
    tls_relay_gap(state, dir, len, note, note_ctx);
}

static void fini(void *state)
{
    tls_relay_fini(state);
}

void pipeline_share_work(struct pipeline *p)
{
    if (!p->events || !p->keylog)
        return;
    struct flow_stage stage = {
        .ctx = p,
        .state_size = tls_relay_size(),
        .claim = claim,
        .init = init,
        .prefetch = prefetch,
        .data = data,
        .gap = gap,
        .fini = fini,
    };
    flow_events_set_stage(p->events, &stage);
}
