/* What transport.c (routing, detection, WebSocket, mid-stream search,
 * PROXY) and transport_tls.c (the TLS wiring) share; nothing outside
 * cli/transport/transport*.c includes it. */
#ifndef MQD_CLI_TRANSPORT_PRIV_H
#define MQD_CLI_TRANSPORT_PRIV_H

#include "transport/transport.h"
#include "transport/tls_relay.h"

/* The call under way on this thread (transport_data, transport_close):
 * where what it finds goes, and the packet the bytes being reported came
 * with. Per thread, not per connection: only one call is under way on a
 * thread at a time, and a connection need not carry them in between. */
struct transport_call {
    const struct transport_sink *sink;
    const struct pkt_info *pkt;
};
extern _Thread_local struct transport_call transport_call;

/* Hands an event record up, with the packet of the bytes it is about. */
static inline void transport_emit(struct transport *t, int dir, uint64_t off,
                                  const struct event_record *ev)
{
    (void)t;
    const struct transport_sink *s = transport_call.sink;
    if (s && s->event)
        s->event(s->ctx, dir, off, ev, transport_call.pkt);
}

/* Bytes of dir's MQTT byte stream, up to the pipeline. */
static inline void transport_to_mqtt(struct transport *t, int dir,
                                     const uint8_t *data, size_t len)
{
    (void)t;
    const struct transport_sink *s = transport_call.sink;
    if (len && s && s->mqtt)
        s->mqtt(s->ctx, dir, data, len, transport_call.pkt);
}

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void transport_hex(const uint8_t *p, size_t n, char *out);

/* A "detected" record saying how (t->how becomes how). */
void transport_report_detected(struct transport *t, enum transport_how how);

/* The connection is now `kind`, found by `how`: the pipeline is told, and
 * off the configured ports a "detected" record says how. */
void transport_classify(struct transport *t, int kind, enum transport_how how);

/* The WebSocket layer's events (ws_feed's callback; ctx is the transport). */
void transport_on_ws_event(void *ctx, const struct ws_event *ev);

/* ---- transport_tls.c ---- */

/* The TLS state of a connection: hellos always, decryption with a key log
 * (keylog; NULL: none).
 * False when out of memory. */
bool transport_tls_start(struct transport *t, struct tls_keylog *keylog);

/* Frees t->tls (NULL after). */
void transport_tls_free(struct transport *t);

/* TLS bytes of direction dir: the hellos read, records decrypted. */
void transport_tls_data(struct transport *t, int dir, const uint8_t *data,
                        size_t len);

/* The "tls" record (hellos, version, suite), once per connection. */
void transport_tls_report(struct transport *t);

#endif
