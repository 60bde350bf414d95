/* The TLS wiring of the transport (see transport.h): the hellos read and
 * reported as a "tls" record and, with a key log, the decryptor
 * (tls_decrypt.h) whose plaintext goes on as MQTT or, when it starts with
 * an HTTP GET, as WebSocket (wss); what it says becomes "tls_decrypt"
 * records. Routing and detection are in transport.c. */
#include "transport/transport_priv.h"

#include <stdlib.h>
#include <string.h>

/* ---- the hellos, reported ---- */

static void tls_hello_data(struct transport *t, int dir, const uint8_t *data,
                           size_t len);

void transport_tls_report(struct transport *t)
{
    if (!t->tls || t->tls->reported)
        return;
    t->tls->reported = true;
    const struct tls_info *i = &t->tls->hello->info;
    char rec[16], cli[16], cli_max[16], srv[16]; /* version names */
    struct event_record e;
    event_init(&e, "tls");
    event_u64(&e, "port", t->cfg.server_port);
    event_bool(&e, "client_hello", i->client_hello);
    if (i->record_version)
        event_str(&e, "record_version", tls_version_name(i->record_version, rec, sizeof rec));
    if (i->client_hello) {
        event_str(&e, "client_version", tls_version_name(i->client_version, cli, sizeof cli));
        event_str(&e, "client_max_version",
                  tls_version_name(i->client_max_version, cli_max, sizeof cli_max));
        if (i->sni[0])
            event_str(&e, "sni", i->sni);
        if (i->alpn[0])
            event_str(&e, "alpn", i->alpn);
    }
    event_bool(&e, "server_hello", i->server_hello);
    if (i->server_hello) {
        event_str(&e, "server_version", tls_version_name(i->server_version, srv, sizeof srv));
        event_u64(&e, "cipher_suite", i->cipher_suite);
        const char *name = tls_cipher_name(i->cipher_suite);
        if (name)
            event_str(&e, "cipher", name);
        if (i->server_alpn[0])
            event_str(&e, "server_alpn", i->server_alpn);
    }
    transport_emit(t, 0, 0, &e);
    /* Nothing reads the hellos after this (tls_hello_data stops here). */
    tls_hello_free(t->tls->hello);
    free(t->tls->hello);
    t->tls->hello = NULL;
}

/* ---- TLS decryption (a key log given) ---- */

/* Decrypted bytes. What TLS carries is decided once, from the client's
 * first decrypted record: an HTTP GET is a WebSocket handshake (wss, its
 * frames then decoded as for ws), anything else MQTT. */
static void tls_plain(struct transport *t, int dir, const struct tls_dec_record *r,
                      const uint8_t *p, size_t n)
{
    if (!t->tls->inner_known) {
        t->tls->inner_known = true;
        if (dir == 0 && n >= 4 && memcmp(p, "GET ", 4) == 0 &&
            (t->ws = malloc(sizeof *t->ws)) != NULL)
            ws_init(t->ws);
    }
    /* The record they came in travels with the bytes (-V shows it). */
    t->tls->rec = (struct tls_record_meta){
        .seq = r->seq, .length = r->length, .type = r->type,
        .inner_type = r->inner_type, .epoch = r->epoch};
    t->tls->rec_serial++;
    t->tls->rec_set = true;
    if (t->ws)
        ws_feed(t->ws, dir, p, n, transport_on_ws_event, t);
    else
        transport_to_mqtt(t, dir, p, n);
    t->tls->rec_set = false;
}

static void on_tls_plain(void *ctx, int dir, const uint8_t *p, size_t n)
{
    struct transport *t = ctx;
    tls_plain(t, dir, tls_decrypt_record(t->tls->dec), p, n);
}

static const char *const tls_dec_status[] = {
    [TLS_DEC_KEYS] = "decrypting",     [TLS_DEC_NO_KEY] = "no_key",
    [TLS_DEC_UNSUPPORTED] = "unsupported", [TLS_DEC_AUTH_FAIL] = "auth_failure",
    [TLS_DEC_GAP] = "gap",             [TLS_DEC_RESYNC] = "resync",
    [TLS_DEC_ALERT] = "alert",         [TLS_DEC_MALFORMED] = "malformed",
};

/* What the decryptor says becomes a "tls_decrypt" record. Never secrets:
 * the client random (public, in the ClientHello) only, so a user can look
 * for the connection in a key log. */
static void on_tls_event(void *ctx, const struct tls_dec_event *ev)
{
    struct transport *t = ctx;
    char version[16], random[2 * TLS_RANDOM_LEN + 1];
    struct event_record e;
    if (ev->kind == TLS_DEC_KEYS)
        t->tls_mqtt = true;
    event_init(&e, "tls_decrypt");
    event_str(&e, "status", tls_dec_status[ev->kind]);
    if (ev->version)
        event_str(&e, "version", tls_version_name(ev->version, version, sizeof version));
    if (ev->kind == TLS_DEC_KEYS || ev->kind == TLS_DEC_UNSUPPORTED) {
        event_u64(&e, "cipher_suite", ev->suite);
        if (tls_cipher_name(ev->suite))
            event_str(&e, "cipher", tls_cipher_name(ev->suite));
    }
    if (ev->kind == TLS_DEC_AUTH_FAIL || ev->kind == TLS_DEC_RESYNC)
        event_u64(&e, "record", ev->seq);
    if (ev->kind == TLS_DEC_GAP || ev->kind == TLS_DEC_RESYNC)
        event_u64(&e, "bytes", ev->bytes);
    if (ev->kind == TLS_DEC_ALERT) {
        event_u64(&e, "level", ev->alert_level);
        event_u64(&e, "description", ev->alert_desc);
    }
    if (ev->kind == TLS_DEC_NO_KEY && ev->client_random) {
        transport_hex(ev->client_random, TLS_RANDOM_LEN, random);
        event_str(&e, "client_random", random);
    }
    event_str(&e, "reason", ev->reason);
    transport_emit(t, ev->dir < 0 ? 0 : ev->dir, 0, &e);
}

/* Records were lost and the ones after them decrypt again: the bytes they
 * held are missing from the stream above (WebSocket frames, or MQTT). */
static void on_tls_lost(void *ctx, int dir, uint64_t n)
{
    struct transport *t = ctx;
    if (!t->tls_mqtt)
        return;
    /* wss: the frames above lose n bytes; MQTT loses as many when they lay
     * inside one payload, else an unknown number (the frames, then the MQTT
     * packets are looked for again). */
    if (t->ws) {
        if (n == TLS_DEC_LOST_UNKNOWN)
            ws_lost(t->ws, dir);
        else if (!ws_gap(t->ws, dir, n))
            n = TLS_DEC_LOST_UNKNOWN;
    }
    const struct transport_sink *s = transport_call.sink;
    if (s && s->gap)
        s->gap(s->ctx, dir, n);
}

/* What a decryptor on another thread said (tls_relay.h), as if this
 * connection's own had said it. */
void transport_relayed(struct transport *t, int dir, const uint8_t *note,
                       size_t len, const struct pkt_info *pkt,
                       const struct transport_sink *sink)
{
    struct tls_note n;
    if (t->kind != TR_TLS || !t->tls || !t->cfg.tls_relayed ||
        !tls_note_read(note, len, &n))
        return;
    struct transport_call was = transport_call;
    transport_call = (struct transport_call){sink, pkt};
    switch (n.kind) {
    case TLS_NOTE_PLAIN: tls_plain(t, dir, &n.rec, n.bytes, n.n); break;
    case TLS_NOTE_EVENT: on_tls_event(t, &n.ev); break;
    case TLS_NOTE_LOST: on_tls_lost(t, dir, n.lost); break;
    }
    transport_call = was;
}

/* Where the decryptor starts in the allocation of t->tls: its first
 * cache line after the struct. */
#define TLS_DEC_AT ((sizeof(struct transport_tls) + 63) / 64 * 64)

/* The TLS state of a connection: hellos always, decryption with a key log.
 * The decryptor shares the state's allocation (one fewer pointer to follow
 * per record, and one fewer allocation per connection). */
bool transport_tls_start(struct transport *t, struct tls_keylog *keylog)
{
    size_t size = TLS_DEC_AT + (keylog ? tls_decrypt_size() : 0);
    uint8_t *mem = aligned_alloc(64, size);
    struct tls_hello *hello = malloc(sizeof *hello);
    if (!mem || !hello) {
        free(mem);
        free(hello);
        return false;
    }
    memset(mem, 0, TLS_DEC_AT);
    t->tls = (struct transport_tls *)mem;
    tls_hello_init(hello);
    t->tls->hello = hello;
    if (keylog) {
        struct tls_dec_callbacks cb = {on_tls_plain, on_tls_event, t, on_tls_lost};
        t->tls->dec = tls_decrypt_init(mem + TLS_DEC_AT, keylog, &cb);
    }
    return true;
}

void transport_tls_free(struct transport *t)
{
    if (!t->tls)
        return;
    if (t->tls->hello) {
        tls_hello_free(t->tls->hello);
        free(t->tls->hello);
    }
    tls_decrypt_fini(t->tls->dec);
    free(t->tls);
    t->tls = NULL;
}

void transport_tls_prefetch(const struct transport *t, int dir)
{
    const uint8_t *tls = (const uint8_t *)t->tls;
    if (!tls)
        return;
    __builtin_prefetch(tls);
    /* Once keys are found (tls_mqtt) the decryptor is there: its lines
     * asked for without reading t->tls, which is not in cache yet. */
    if (t->tls_mqtt && !t->cfg.tls_relayed)
        tls_decrypt_prefetch((const struct tls_decrypt *)(tls + TLS_DEC_AT), dir);
}

void transport_tls_prefetch_next(const struct transport *t, int dir)
{
    if (t->tls && t->tls_mqtt && !t->cfg.tls_relayed)
        tls_decrypt_prefetch_cipher(t->tls->dec, dir);
}

void transport_tls_data(struct transport *t, int dir, const uint8_t *data, size_t len)
{
    /* The cipher's lines, all at once (as tls_relay_data does): with one
     * thread nothing asked for them before; with two, the decoding thread
     * did a few events ahead, and this costs a look at lines in cache. */
    if (t->tls->dec)
        tls_decrypt_prefetch_cipher(t->tls->dec, dir);
    tls_hello_data(t, dir, data, len);
    /* Also while pending (TLS off the TLS ports, classified once the
     * ClientHello offers MQTT by ALPN): the decryptor needs the hellos, and
     * nothing decrypts before the ServerHello. */
    if (t->tls->dec && t->kind != TR_IGNORED)
        tls_decrypt_feed(t->tls->dec, dir, data, len);
}

static void tls_hello_data(struct transport *t, int dir, const uint8_t *data, size_t len)
{
    if (!t->tls || t->tls->reported)
        return;
    struct tls_hello *h = t->tls->hello;
    bool was_done = tls_hello_dir_done(h, 0);
    (void)tls_hello_feed(h, dir, data, len);
    if (!was_done && tls_hello_dir_done(h, 0) && t->kind == TR_PENDING) {
        /* Off the TLS ports, only TLS that offers MQTT by ALPN is ours. */
        const struct tls_info *i = &h->info;
        if (!i->client_hello || !i->alpn_mqtt) {
            t->kind = TR_IGNORED;
            return;
        }
        transport_classify(t, TR_TLS, TH_TLS);
    }
    if (tls_hello_dir_done(h, 0) && tls_hello_dir_done(h, 1))
        transport_tls_report(t);
}
