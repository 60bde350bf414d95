/* The handshake side of the TLS decryptor (tls_decrypt.h): the hellos read
 * in plaintext (the randoms, the suite, the version: RFC 8446 4.1, RFC 5246
 * 7.4.1), the connection's secrets found in the key log, the keys of each
 * epoch (RFC 8446 7.1-7.3; TLS 1.2's key block, RFC 5246 6.3) and the
 * protected handshake messages that end one (Finished, KeyUpdate). The
 * record layer is in tls_decrypt.c. */
#include "transport/tls_decrypt_priv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util/wire.h"

/* Finds the connection's secrets and sets up what both directions need.
 * Once: afterwards key_state says READY or NONE. */
bool tls_dec_ensure_keys(struct tls_decrypt *t)
{
    if (t->key_state != K_WAIT)
        return t->key_state == K_READY;
    t->key_state = K_NONE;
    if (!t->suite)
        return false;
    /* A copy (tls_keylog_lookup): the table may be read on two threads. */
    if ((t->secrets = calloc(1, sizeof *t->secrets)) == NULL)
        return false;
    struct tls_keylog_entry *e = &t->secrets->e;
    bool found = t->kl && tls_keylog_lookup(t->kl, t->client_random, e);
    if (!found && t->kl && tls_keylog_reload(t->kl) > 0)
        found = tls_keylog_lookup(t->kl, t->client_random, e);
    bool complete = false;
    if (found && t->suite->tls13)
        complete = e->secret[TLS_SECRET_CLIENT_HS].len == t->suite->hash_len &&
                   e->secret[TLS_SECRET_SERVER_HS].len == t->suite->hash_len &&
                   e->secret[TLS_SECRET_CLIENT_APP].len == t->suite->hash_len &&
                   e->secret[TLS_SECRET_SERVER_APP].len == t->suite->hash_len;
    else if (found)
        complete = e->secret[TLS_SECRET_MASTER].len == 48;
    if (!complete) {
        tls_dec_secrets_free(t);
        tls_dec_emit(t, TLS_DEC_NO_KEY, -1, 0, 0,
                     found ? "key log lacks secrets for this connection"
                           : "client random not in the key log");
        return false;
    }
    struct tls_traffic_keys *k12 = t->secrets->tls12;
    if (!t->suite->tls13 &&
        !tls12_traffic_keys(t->suite, e->secret[TLS_SECRET_MASTER].b,
                            t->client_random, t->server_random, &k12[0],
                            &k12[1])) {
        tls_dec_secrets_free(t);
        tls_dec_emit(t, TLS_DEC_UNSUPPORTED, -1, 0, 0, "key derivation failed");
        return false;
    }
    k12[0].encrypt_then_mac = k12[1].encrypt_then_mac = t->encrypt_then_mac;
    if ((t->out = tls_dec_scratch_get()) == NULL) {
        tls_dec_secrets_free(t);
        return false;
    }
    t->key_state = K_READY;
    tls_dec_emit(t, TLS_DEC_KEYS, -1, 0, 0, "decrypting");
    return true;
}

/* The traffic keys of `epoch` for direction dir into *k (and, TLS 1.3, its
 * secret into out); `from` is the epoch before (for a KeyUpdate). */
static bool epoch_traffic_keys(struct tls_decrypt *t, int dir,
                               const struct dec_keys *from, int epoch,
                               struct tls_traffic_keys *k, struct dec_keys *out)
{
    const struct tls_suite *s = t->suite;
    if (!s->tls13) {
        if (epoch != 1 || !t->secrets)
            return false;
        *k = t->secrets->tls12[dir];
        return true;
    }
    if (epoch == 1 || epoch == 2) {
        static const enum tls_secret_kind kinds[2][2] = {
            {TLS_SECRET_CLIENT_HS, TLS_SECRET_SERVER_HS},
            {TLS_SECRET_CLIENT_APP, TLS_SECRET_SERVER_APP}};
        if (!t->secrets)
            return false;
        const struct tls_secret *sec = &t->secrets->e.secret[kinds[epoch - 1][dir]];
        memcpy(out->secret, sec->b, sec->len);
        out->secret_len = sec->len;
    } else {
        if (from->epoch != epoch - 1 || from->epoch < 2)
            return false;
        memcpy(out->secret, from->secret, from->secret_len);
        out->secret_len = from->secret_len;
        if (!tls13_next_secret(s, out->secret, out->secret_len))
            return false;
    }
    return tls13_traffic_keys(s, out->secret, out->secret_len, k);
}

/* The keys of `epoch` for direction dir into out; `from` is the epoch
 * before (for a TLS 1.3 KeyUpdate). `reuse`, a cipher whose keys are not
 * needed any more (or NULL), is moved into out and re-keyed for the new
 * epoch. On failure out's cipher is to be cleared (tls_dec_keys_clear). */
bool tls_dec_keys_for_epoch(struct tls_decrypt *t, int dir,
                            const struct dec_keys *from, int epoch,
                            struct tls_cipher *reuse, struct dec_keys *out)
{
    struct tls_traffic_keys k;
    memset(&k, 0, sizeof k);
    memset(out, 0, sizeof *out);
    out->epoch = epoch;
    if (reuse) {
        out->cipher[0] = *reuse;
        explicit_bzero(reuse, sizeof *reuse);
    }
    bool ok = epoch_traffic_keys(t, dir, from, epoch, &k, out) &&
              tls_cipher_set(out->cipher, t->suite, &k);
    explicit_bzero(&k, sizeof k);
    return ok;
}

/* TLS 1.3: once both directions have their application keys, the key
 * log's secrets are not needed any more (tls_dec_set_epoch asks for epochs
 * 1 and 2 only while a direction is before them). TLS 1.2 keeps its key block:
 * a second ChangeCipherSpec sets epoch 1 again. */
void tls_dec_secrets_done(struct tls_decrypt *t)
{
    if (t->secrets && t->suite->tls13 && t->d[0].keys.epoch >= 2 &&
        t->d[1].keys.epoch >= 2)
        tls_dec_secrets_free(t);
}

bool tls_dec_set_epoch(struct tls_decrypt *t, int dir, int epoch)
{
    struct dec_dir *d = &t->d[dir];
    struct dec_keys next;
    /* The direction's cipher context is re-keyed, not made anew: its keys
     * are not needed again (a KeyUpdate derives from the secret). */
    struct tls_cipher reuse = d->keys.cipher[0];
    explicit_bzero(d->keys.cipher, sizeof d->keys.cipher);
    if (!tls_dec_keys_for_epoch(t, dir, &d->keys, epoch, &reuse, &next)) {
        tls_dec_keys_clear(&next);
        d->dead = true;
        tls_dec_emit(t, TLS_DEC_UNSUPPORTED, dir, d->seq, 0, "key derivation failed");
        return false;
    }
    tls_dec_keys_clear(&d->keys);
    d->keys = next;
    tls_dec_secrets_done(t);
    d->seq = 0;
    memset(&d->hs.hdr, 0, sizeof d->hs.hdr);
    d->hs.hdr_len = 0;
    d->hs.left = 0;
    return true;
}

static uint32_t be24(const uint8_t *p)
{
    struct wire w = wire_make(p, 3);
    uint8_t a = 0, b = 0, c = 0;
    (void)wire_u8(&w, &a);
    (void)wire_u8(&w, &b);
    (void)wire_u8(&w, &c);
    return (uint32_t)a << 16 | (uint32_t)b << 8 | c;
}

/* One step through a handshake message stream (RFC 8446 4, RFC 5246 7.4:
 * a type byte, a 24-bit length, the body): a header byte, or as much of the
 * body as is in p[0..n). */
enum hs_step { HS_HEADER_BYTE, HS_HEADER_DONE, HS_BODY };

static enum hs_step hs_step(struct hs_stream *h, const uint8_t *p, size_t n,
                            size_t *used)
{
    if (h->hdr_len < 4) {
        h->hdr[h->hdr_len++] = p[0];
        *used = 1;
        if (h->hdr_len < 4)
            return HS_HEADER_BYTE;
        h->left = be24(h->hdr + 1);
        return HS_HEADER_DONE;
    }
    *used = h->left < n ? h->left : n;
    h->left -= (uint32_t)*used;
    return HS_BODY;
}

/* After a step: a whole message went by (the next byte starts another). */
static bool hs_message_end(struct hs_stream *h)
{
    if (h->hdr_len < 4 || h->left != 0)
        return false;
    h->hdr_len = 0;
    return true;
}

/* Protected handshake messages (TLS 1.3): only their types and lengths
 * matter. The Finished of each side ends its handshake keys (RFC 8446
 * 7.1); a KeyUpdate changes the sender's keys after its record (4.6.3). */
void tls_dec_protected_handshake(struct dec_dir *d, const uint8_t *p, size_t n)
{
    struct hs_stream *h = &d->hs;
    size_t pos = 0, used;
    while (pos < n) {
        (void)hs_step(h, p + pos, n - pos, &used);
        pos += used;
        uint8_t type = h->hdr[0];
        if (hs_message_end(h) &&
            ((type == HS_FINISHED && d->keys.epoch == 1) ||
             (type == HS_KEY_UPDATE && d->keys.epoch >= 2)))
            d->next_epoch = true;
    }
}

/* RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
    0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
    0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

static void server_hello_done(struct tls_decrypt *t)
{
    if (memcmp(t->server_random, hrr_random, 32) == 0)
        return; /* HelloRetryRequest: the real ServerHello comes later */
    t->have_server_hello = true;
    uint16_t v = t->server_version;
    t->suite = tls_suite_find(t->cipher_suite);
    if ((v != 0x0303 && v != 0x0304) || !t->suite ||
        t->suite->tls13 != (v == 0x0304) || !t->have_client_hello) {
        t->suite = NULL;
        t->key_state = K_NONE;
        tls_dec_emit(t, TLS_DEC_UNSUPPORTED, -1, 0, 0,
                     !t->have_client_hello ? "no ClientHello seen"
                                           : "version or cipher suite not decryptable");
        t->d[0].dead = t->d[1].dead = true;
        return;
    }
    t->version = v;
}

static void hello_done(struct tls_decrypt *t, int dir, struct hs_stream *h)
{
    /* A parse writes nothing unless it succeeds; what decryption needs is
     * taken from it (encrypt_then_mac once seen stays, as it did when the
     * whole struct tls_info was kept across a HelloRetryRequest). */
    struct tls_info info;
    memset(&info, 0, sizeof info);
    if (dir == 0 && !t->have_server_hello &&
        tls_parse_client_hello(h->msg, h->msg_len, &info)) {
        memcpy(t->client_random, info.client_random, TLS_RANDOM_LEN);
        t->have_client_hello = true;
    } else if (dir == 1 && !t->have_server_hello &&
               tls_parse_server_hello(h->msg, h->msg_len, &info)) {
        memcpy(t->server_random, info.server_random, TLS_RANDOM_LEN);
        t->server_version = info.server_version;
        t->cipher_suite = info.cipher_suite;
        t->encrypt_then_mac |= info.encrypt_then_mac;
        server_hello_done(t);
    }
    free(h->msg);
    h->msg = NULL;
}

/* Plaintext handshake bytes: hellos are collected and read, other
 * messages skipped. */
void tls_dec_plaintext_handshake(struct tls_decrypt *t, int dir,
                                 const uint8_t *p, size_t n)
{
    struct hs_stream *h = &t->d[dir].hs;
    uint8_t want = dir == 0 ? HS_CLIENT_HELLO : HS_SERVER_HELLO;
    size_t pos = 0, used;
    while (pos < n) {
        switch (hs_step(h, p + pos, n - pos, &used)) {
        case HS_HEADER_DONE:
            if (h->hdr[0] == want && h->left + 4u <= TLS_HELLO_MAX &&
                (h->msg = malloc(h->left + 4u)) != NULL) {
                memcpy(h->msg, h->hdr, 4);
                h->msg_len = 4;
                h->msg_want = h->left + 4u;
            }
            break;
        case HS_BODY:
            if (h->msg) {
                memcpy(h->msg + h->msg_len, p + pos, used);
                h->msg_len += (uint32_t)used;
            }
            break;
        case HS_HEADER_BYTE:
            break;
        }
        pos += used;
        if (hs_message_end(h) && h->msg)
            hello_done(t, dir, h);
    }
}
