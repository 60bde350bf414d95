/* The TLS record layer for decryption. See tls_decrypt.h. Records from
 * RFC 8446 section 5 (TLS 1.3) and RFC 5246 section 6.2 (TLS 1.2); the key
 * schedule is in tls_keys.c. */
#include "transport/tls_decrypt.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "transport/tls_keys.h"
#include "util/wire.h"

enum {
    CT_CHANGE_CIPHER_SPEC = 20,
    CT_ALERT = 21,
    CT_HANDSHAKE = 22,
    CT_APPLICATION_DATA = 23,
    HS_CLIENT_HELLO = 1,
    HS_SERVER_HELLO = 2,
    HS_FINISHED = 20,
    HS_KEY_UPDATE = 24,
};

#define REC_HDR 5
/* RFC 5246 6.2.3: a protected record is at most 2^14 + 2048 bytes (TLS 1.3,
 * RFC 8446 5.2: 2^14 + 256). */
#define REC_BODY_MAX (16384u + 2048u)
#define REC_CAP (REC_HDR + REC_BODY_MAX)
/* How many sequence numbers past the expected one a hunt tries. */
#define HUNT_SEQ_WINDOW 32u

/* The keys one direction protects its records with (one epoch): the
 * cipher keeps the key schedule's output (keys, IV), so only the traffic
 * secret a KeyUpdate starts from is kept beside it. The cipher is held by
 * value (an array of one, so that `keys->cipher` is its address): what
 * opening a record reads before the cipher context is then in the
 * direction's own cache line, not behind another pointer. */
struct dec_keys {
    int epoch; /* 0: none; 1.3: 1 handshake, 2 application_0, 3.. updates;
                  1.2: 1 after ChangeCipherSpec */
    struct tls_cipher cipher[1]; /* all zero: none */
    uint8_t secret_len;
    uint8_t secret[TLS_SECRET_MAX]; /* 1.3: the traffic secret */
};

/* The connection's secrets from the key log (a copy: the table may move)
 * and, for TLS 1.2, the key block's keys. Allocated when the keys are
 * found; for TLS 1.3 wiped and freed once both directions have their
 * application keys (later keys come from those secrets, RFC 8446 7.2),
 * so that thousands of connections do not each carry them. */
struct dec_secrets {
    struct tls_keylog_entry e;
    struct tls_traffic_keys tls12[2];
};

/* A handshake message stream: header bytes and how much body is left. */
struct hs_stream {
    uint8_t hdr[4];
    uint8_t hdr_len;
    uint32_t left;
    uint8_t *msg; /* a hello being collected (plaintext phase) */
    uint32_t msg_len, msg_want;
};

/* What a record of the direction reads first is at its start (buf .. the
 * cipher's IV): a direction's state starts a cache line (the decryptor is
 * allocated aligned, tls_decrypt_init) and is what tls_decrypt_prefetch
 * asks for. */
struct dec_dir {
    _Alignas(64) uint8_t *buf; /* unprocessed bytes: at most one record */
    size_t len;
    uint64_t seq;
    bool hunting;  /* looking for a record that decrypts */
    bool framed;   /* while hunting: record boundaries are known */
    bool dead;     /* nothing more can be done in this direction */
    bool next_epoch; /* switch keys after this record (Finished, KeyUpdate) */
    struct dec_keys keys;
    size_t cap;
    uint64_t skipped;
    uint64_t lost; /* while hunting: bytes lost before `skipped` (a hole, and
                      the part of a record held when it came) */
    struct hs_stream hs;
};

struct tls_decrypt {
    /* What every record reads (one cache line) ... */
    const struct tls_suite *suite;
    uint8_t *out; /* one plaintext record */
    struct tls_dec_callbacks cb;
    struct tls_dec_record cur; /* the record last opened (tls_decrypt_record) */
    enum { K_WAIT, K_READY, K_NONE } key_state;
    uint16_t version; /* 0x0303 or 0x0304 once known */
    /* ... then each direction's, on lines of their own */
    struct dec_dir d[2];
    struct tls_keylog *kl;
    struct dec_secrets *secrets; /* while K_READY and still needed */
    /* What decryption takes from the hellos (tls_parse_*_hello; the rest
     * of struct tls_info is not kept). */
    uint8_t client_random[TLS_RANDOM_LEN], server_random[TLS_RANDOM_LEN];
    uint16_t cipher_suite, server_version;
    bool encrypt_then_mac;
    bool have_client_hello, have_server_hello;
};

/* ---- events ---- */

static void emit(struct tls_decrypt *t, enum tls_dec_event_kind kind, int dir,
                 uint64_t seq, uint64_t bytes, const char *reason)
{
    if (!t->cb.event)
        return;
    struct tls_dec_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.dir = dir;
    ev.version = t->version;
    ev.suite = t->cipher_suite;
    ev.seq = seq;
    ev.bytes = bytes;
    ev.client_random = t->have_client_hello ? t->client_random : NULL;
    ev.reason = reason;
    t->cb.event(t->cb.ctx, &ev);
}

/* ---- life ---- */

/* The plaintext of one record: a buffer shared by the decryptors of a
 * thread (a record's plaintext is handed up before the next one is
 * opened), so that thousands of connections do not each hold 18 KiB, and
 * the one buffer stays in cache. Freed with the last decryptor using it. */
static _Thread_local uint8_t *scratch;
static _Thread_local size_t scratch_users;

static uint8_t *scratch_get(void)
{
    if (!scratch && (scratch = malloc(REC_BODY_MAX)) == NULL)
        return NULL;
    scratch_users++;
    return scratch;
}

static void scratch_put(void)
{
    if (scratch_users && --scratch_users == 0) {
        OPENSSL_cleanse(scratch, REC_BODY_MAX);
        free(scratch);
        scratch = NULL;
    }
}

_Static_assert(sizeof(struct tls_decrypt) % 64 == 0,
               "whole cache lines: an allocation's size for aligned_alloc");

size_t tls_decrypt_size(void)
{
    return sizeof(struct tls_decrypt); /* a multiple of 64: d[] is aligned */
}

struct tls_decrypt *tls_decrypt_init(void *mem, struct tls_keylog *kl,
                                     const struct tls_dec_callbacks *cb)
{
    struct tls_decrypt *t = mem;
    memset(t, 0, sizeof *t);
    t->kl = kl;
    if (cb)
        t->cb = *cb;
    tls_keys_hold();
    return t;
}

struct tls_decrypt *tls_decrypt_new(struct tls_keylog *kl,
                                    const struct tls_dec_callbacks *cb)
{
    void *mem = aligned_alloc(_Alignof(struct tls_decrypt), sizeof(struct tls_decrypt));
    return mem ? tls_decrypt_init(mem, kl, cb) : NULL;
}

static void keys_clear(struct dec_keys *k)
{
    tls_cipher_clear(k->cipher);
    explicit_bzero(k, sizeof *k);
}

static void secrets_free(struct tls_decrypt *t)
{
    if (t->secrets) {
        explicit_bzero(t->secrets, sizeof *t->secrets);
        free(t->secrets);
        t->secrets = NULL;
    }
}

void tls_decrypt_fini(struct tls_decrypt *t)
{
    if (!t)
        return;
    for (int i = 0; i < 2; i++) {
        free(t->d[i].buf);
        free(t->d[i].hs.msg);
        keys_clear(&t->d[i].keys);
    }
    if (t->out)
        scratch_put();
    secrets_free(t);
    tls_keys_release();
}

void tls_decrypt_free(struct tls_decrypt *t)
{
    tls_decrypt_fini(t);
    free(t);
}

void tls_decrypt_prefetch(const struct tls_decrypt *t, int dir)
{
    const struct dec_dir *d = &t->d[dir & 1];
    __builtin_prefetch(t);
    __builtin_prefetch(d);
    __builtin_prefetch((const char *)d + 64);
}

void tls_decrypt_prefetch_cipher(const struct tls_decrypt *t, int dir)
{
    tls_cipher_prefetch(t->d[dir & 1].keys.cipher);
}

const struct tls_dec_record *tls_decrypt_record(const struct tls_decrypt *t)
{
    return &t->cur;
}

bool tls_decrypt_active(const struct tls_decrypt *t)
{
    return t->key_state == K_READY;
}

/* ---- keys ---- */

/* Finds the connection's secrets and sets up what both directions need.
 * Once: afterwards key_state says READY or NONE. */
static bool ensure_keys(struct tls_decrypt *t)
{
    if (t->key_state != K_WAIT)
        return t->key_state == K_READY;
    t->key_state = K_NONE;
    if (!t->suite)
        return false;
    const struct tls_keylog_entry *e =
        t->kl ? tls_keylog_find(t->kl, t->client_random) : NULL;
    if (!e && t->kl && tls_keylog_reload(t->kl) > 0)
        e = tls_keylog_find(t->kl, t->client_random);
    bool complete = false;
    if (e && t->suite->tls13)
        complete = e->secret[TLS_SECRET_CLIENT_HS].len == t->suite->hash_len &&
                   e->secret[TLS_SECRET_SERVER_HS].len == t->suite->hash_len &&
                   e->secret[TLS_SECRET_CLIENT_APP].len == t->suite->hash_len &&
                   e->secret[TLS_SECRET_SERVER_APP].len == t->suite->hash_len;
    else if (e)
        complete = e->secret[TLS_SECRET_MASTER].len == 48;
    if (!complete) {
        emit(t, TLS_DEC_NO_KEY, -1, 0, 0,
             e ? "key log lacks secrets for this connection"
               : "client random not in the key log");
        return false;
    }
    if ((t->secrets = calloc(1, sizeof *t->secrets)) == NULL)
        return false;
    t->secrets->e = *e;
    struct tls_traffic_keys *k12 = t->secrets->tls12;
    if (!t->suite->tls13 &&
        !tls12_traffic_keys(t->suite, e->secret[TLS_SECRET_MASTER].b,
                            t->client_random, t->server_random, &k12[0],
                            &k12[1])) {
        secrets_free(t);
        emit(t, TLS_DEC_UNSUPPORTED, -1, 0, 0, "key derivation failed");
        return false;
    }
    k12[0].encrypt_then_mac = k12[1].encrypt_then_mac = t->encrypt_then_mac;
    if ((t->out = scratch_get()) == NULL) {
        secrets_free(t);
        return false;
    }
    t->key_state = K_READY;
    emit(t, TLS_DEC_KEYS, -1, 0, 0, "decrypting");
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
 * epoch. On failure out's cipher is to be cleared (keys_clear). */
static bool keys_for_epoch(struct tls_decrypt *t, int dir,
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
 * log's secrets are not needed any more (set_epoch asks for epochs 1 and
 * 2 only while a direction is before them). TLS 1.2 keeps its key block:
 * a second ChangeCipherSpec sets epoch 1 again. */
static void secrets_done(struct tls_decrypt *t)
{
    if (t->secrets && t->suite->tls13 && t->d[0].keys.epoch >= 2 &&
        t->d[1].keys.epoch >= 2)
        secrets_free(t);
}

static bool set_epoch(struct tls_decrypt *t, int dir, int epoch)
{
    struct dec_dir *d = &t->d[dir];
    struct dec_keys next;
    /* The direction's cipher context is re-keyed, not made anew: its keys
     * are not needed again (a KeyUpdate derives from the secret). */
    struct tls_cipher reuse = d->keys.cipher[0];
    explicit_bzero(d->keys.cipher, sizeof d->keys.cipher);
    if (!keys_for_epoch(t, dir, &d->keys, epoch, &reuse, &next)) {
        keys_clear(&next);
        d->dead = true;
        emit(t, TLS_DEC_UNSUPPORTED, dir, d->seq, 0, "key derivation failed");
        return false;
    }
    keys_clear(&d->keys);
    d->keys = next;
    secrets_done(t);
    d->seq = 0;
    memset(&d->hs.hdr, 0, sizeof d->hs.hdr);
    d->hs.hdr_len = 0;
    d->hs.left = 0;
    return true;
}

/* ---- opening one record ---- */

/* Opens the record rec (header and body) with keys at seq into t->out. */
static bool open_record(struct tls_decrypt *t, const struct dec_keys *keys,
                        uint64_t seq, const uint8_t *rec, size_t body_len,
                        uint8_t *type, size_t *plen)
{
    if (!tls_record_open(t->suite, keys->cipher, seq, rec, body_len, t->out,
                         type, plen))
        return false;
    t->cur.seq = seq;
    t->cur.length = (uint16_t)body_len; /* at most REC_BODY_MAX */
    t->cur.type = rec[0];
    t->cur.inner_type = t->suite->tls13 ? *type : 0;
    t->cur.epoch = (uint8_t)(keys->epoch > 255 ? 255 : keys->epoch);
    return true;
}

/* ---- what is inside ---- */

static uint32_t be24(const uint8_t *p)
{
    struct wire w = wire_make(p, 3);
    uint8_t a = 0, b = 0, c = 0;
    (void)wire_u8(&w, &a);
    (void)wire_u8(&w, &b);
    (void)wire_u8(&w, &c);
    return (uint32_t)a << 16 | (uint32_t)b << 8 | c;
}

/* Protected handshake messages (TLS 1.3): only their types and lengths
 * matter. The Finished of each side ends its handshake keys (RFC 8446
 * 7.1); a KeyUpdate changes the sender's keys after its record (4.6.3). */
static void protected_handshake(struct dec_dir *d, const uint8_t *p, size_t n)
{
    struct hs_stream *h = &d->hs;
    size_t pos = 0;
    while (pos < n) {
        if (h->hdr_len < 4) {
            h->hdr[h->hdr_len++] = p[pos++];
            if (h->hdr_len < 4)
                continue;
            h->left = be24(h->hdr + 1);
        } else {
            size_t k = h->left < n - pos ? h->left : n - pos;
            h->left -= (uint32_t)k;
            pos += k;
        }
        if (h->hdr_len == 4 && h->left == 0) {
            if ((h->hdr[0] == HS_FINISHED && d->keys.epoch == 1) ||
                (h->hdr[0] == HS_KEY_UPDATE && d->keys.epoch >= 2))
                d->next_epoch = true;
            h->hdr_len = 0;
        }
    }
}

static void deliver(struct tls_decrypt *t, int dir, uint8_t type, size_t n)
{
    struct dec_dir *d = &t->d[dir];
    switch (type) {
    case CT_APPLICATION_DATA:
        if (n && t->cb.data)
            t->cb.data(t->cb.ctx, dir, t->out, n);
        break;
    case CT_HANDSHAKE:
        if (t->suite->tls13)
            protected_handshake(d, t->out, n);
        break;
    case CT_ALERT:
        if (n >= 2 && t->cb.event) {
            struct tls_dec_event ev;
            memset(&ev, 0, sizeof ev);
            ev.kind = TLS_DEC_ALERT;
            ev.dir = dir;
            ev.version = t->version;
            ev.suite = t->cipher_suite;
            ev.seq = d->seq - 1;
            ev.alert_level = t->out[0];
            ev.alert_desc = t->out[1];
            ev.reason = "alert";
            t->cb.event(t->cb.ctx, &ev);
        }
        break;
    default:
        break;
    }
    if (d->next_epoch) {
        d->next_epoch = false;
        set_epoch(t, dir, d->keys.epoch + 1);
    }
}

/* ---- the hellos (plaintext) ---- */

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
        emit(t, TLS_DEC_UNSUPPORTED, -1, 0, 0,
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
static void plaintext_handshake(struct tls_decrypt *t, int dir,
                                const uint8_t *p, size_t n)
{
    struct hs_stream *h = &t->d[dir].hs;
    size_t pos = 0;
    while (pos < n) {
        if (h->hdr_len < 4) {
            h->hdr[h->hdr_len++] = p[pos++];
            if (h->hdr_len < 4)
                continue;
            h->left = be24(h->hdr + 1);
            uint8_t want = dir == 0 ? HS_CLIENT_HELLO : HS_SERVER_HELLO;
            if (h->hdr[0] == want && h->left + 4u <= TLS_HELLO_MAX &&
                (h->msg = malloc(h->left + 4u)) != NULL) {
                memcpy(h->msg, h->hdr, 4);
                h->msg_len = 4;
                h->msg_want = h->left + 4u;
            }
        } else {
            size_t k = h->left < n - pos ? h->left : n - pos;
            if (h->msg) {
                memcpy(h->msg + h->msg_len, p + pos, k);
                h->msg_len += (uint32_t)k;
            }
            h->left -= (uint32_t)k;
            pos += k;
        }
        if (h->hdr_len == 4 && h->left == 0) {
            if (h->msg)
                hello_done(t, dir, h);
            h->hdr_len = 0;
        }
    }
}

/* ---- records ---- */

static bool encrypted_now(const struct tls_decrypt *t, int dir, uint8_t type)
{
    const struct dec_dir *d = &t->d[dir];
    if (d->keys.epoch > 0)
        return !(t->suite->tls13 && type == CT_CHANGE_CIPHER_SPEC);
    /* RFC 8446 5: once the hellos are done every TLS 1.3 record is
     * protected and carries the outer type application_data. */
    return t->version == 0x0304 && type == CT_APPLICATION_DATA;
}

/* A protected record in sync: open it with the current keys. */
static void protected_record(struct tls_decrypt *t, int dir, const uint8_t *rec,
                             size_t body_len)
{
    struct dec_dir *d = &t->d[dir];
    uint8_t type;
    size_t n;
    if (d->keys.epoch == 0) {
        if (!ensure_keys(t) || !set_epoch(t, dir, 1)) {
            d->dead = true;
            return;
        }
    }
    if (open_record(t, &d->keys, d->seq, rec, body_len, &type, &n)) {
        d->seq++;
        deliver(t, dir, type, n);
        return;
    }
    emit(t, TLS_DEC_AUTH_FAIL, dir, d->seq, 0, "record failed authentication");
    d->hunting = true;
    d->framed = true;
    d->skipped = REC_HDR + body_len;
    d->lost = 0;
    /* d->seq stays: the hunt's window starts at it, so a record that was
     * not ours (0-RTT data, a corrupted one) costs no sequence number. */
}

/* A whole record whose header is plausible, in sync. */
static void record(struct tls_decrypt *t, int dir, const uint8_t *rec,
                   uint8_t type, size_t body_len)
{
    struct dec_dir *d = &t->d[dir];
    if (t->suite && encrypted_now(t, dir, type)) {
        protected_record(t, dir, rec, body_len);
        return;
    }
    switch (type) {
    case CT_HANDSHAKE:
        plaintext_handshake(t, dir, rec + REC_HDR, body_len);
        break;
    case CT_CHANGE_CIPHER_SPEC:
        /* RFC 5246 7.1: the records after it use the new keys. */
        if (t->suite && !t->suite->tls13) {
            if (!ensure_keys(t) || !set_epoch(t, dir, 1))
                d->dead = true;
        }
        break;
    case CT_APPLICATION_DATA:
        if (!t->suite) {
            emit(t, TLS_DEC_UNSUPPORTED, dir, 0, 0,
                 "protected records before the hellos were read");
            d->dead = true;
        }
        break;
    default:
        break;
    }
}

/* A record header (RFC 8446 5.1, RFC 5246 6.2.1), read once. */
struct rec_hdr {
    uint8_t type;
    uint16_t version;
    size_t body_len;
};

static void read_header(const uint8_t *p, struct rec_hdr *h)
{
    struct wire w = wire_make(p, REC_HDR);
    uint16_t len = 0;
    h->type = 0;
    h->version = 0;
    (void)wire_u8(&w, &h->type);
    (void)wire_be16(&w, &h->version);
    (void)wire_be16(&w, &len);
    h->body_len = len;
}

/* A record header this layer can follow: a known content type, a 3.x
 * version, a length within the limit. */
static bool header_ok(const struct rec_hdr *h)
{
    return h->type >= CT_CHANGE_CIPHER_SPEC && h->type <= 24 &&
           (h->version >> 8) == 0x03 && h->body_len <= REC_BODY_MAX;
}

/* While hunting: could a protected record start here? Protected records
 * say version 0x0303 (RFC 8446 5.2; the negotiated one in TLS 1.2). */
static bool hunt_candidate(const struct tls_decrypt *t, const struct rec_hdr *h)
{
    if (!header_ok(h) || h->version != 0x0303 ||
        h->body_len < tls_suite_min_body(t->suite))
        return false;
    if (t->suite->tls13)
        return h->type == CT_APPLICATION_DATA;
    return h->type >= CT_ALERT && h->type <= CT_APPLICATION_DATA;
}

/* Tries sequence numbers first .. first + HUNT_SEQ_WINDOW - 1 (and, for
 * TLS 1.2 GCM, the explicit nonce, which senders usually set to the
 * sequence number) on the record at rec. */
static bool try_seqs(struct tls_decrypt *t, const struct dec_keys *keys,
                     uint64_t first, const uint8_t *rec, size_t body_len,
                     uint64_t *seq, uint8_t *type, size_t *n)
{
    if (t->suite->explicit_len == 8 && body_len >= 8) {
        struct wire w = wire_make(rec + REC_HDR, 8);
        uint32_t hi = 0, lo = 0;
        (void)wire_be32(&w, &hi);
        (void)wire_be32(&w, &lo);
        *seq = (uint64_t)hi << 32 | lo;
        if (open_record(t, keys, *seq, rec, body_len, type, n))
            return true;
    }
    for (*seq = first; *seq < first + HUNT_SEQ_WINDOW; (*seq)++)
        if (open_record(t, keys, *seq, rec, body_len, type, n))
            return true;
    return false;
}

/* The bytes of a protected record besides its content: header, explicit
 * nonce, tag, TLS 1.3's content type; 0 when it varies (CBC padding). */
static size_t record_overhead(const struct tls_suite *s)
{
    if (s->mac_len)
        return 0;
    return REC_HDR + s->explicit_len + TLS_TAG_LEN + (s->tls13 ? 1u : 0u);
}

/* The plaintext bytes in `bytes` of records numbered first .. found - 1
 * (see tls_dec_callbacks.lost). */
static uint64_t plaintext_lost(const struct tls_decrypt *t, uint64_t bytes,
                               uint64_t first, uint64_t found, bool same_epoch)
{
    size_t per = record_overhead(t->suite);
    if (!same_epoch || per == 0 || found < first)
        return TLS_DEC_LOST_UNKNOWN;
    uint64_t records = found - first;
    if (records > bytes / per)
        return TLS_DEC_LOST_UNKNOWN; /* fewer bytes than records need */
    return bytes - records * per;
}

/* A hunt found its record (sequence number seq; same_epoch: with the keys
 * it had): follow the direction from there. */
static void hunt_found(struct tls_decrypt *t, int dir, uint64_t seq,
                       uint8_t type, size_t n, bool same_epoch)
{
    struct dec_dir *d = &t->d[dir];
    uint64_t lost = plaintext_lost(t, d->lost + d->skipped, d->seq, seq, same_epoch);
    d->seq = seq + 1;
    d->hunting = false;
    d->hs.hdr_len = 0;
    d->hs.left = 0;
    emit(t, TLS_DEC_RESYNC, dir, seq, d->skipped, "records decrypt again");
    d->skipped = 0;
    d->lost = 0;
    if (t->cb.lost && (lost > 0 || lost == TLS_DEC_LOST_UNKNOWN))
        t->cb.lost(t->cb.ctx, dir, lost);
    deliver(t, dir, type, n);
}

/* Tries the candidate record at rec with the current keys from the
 * expected sequence number on, then with the next epoch's keys from 0 (a
 * lost Finished or KeyUpdate). True when one opened it. */
static bool hunt_try(struct tls_decrypt *t, int dir, const uint8_t *rec,
                     size_t body_len)
{
    struct dec_dir *d = &t->d[dir];
    uint64_t seq;
    uint8_t type;
    size_t n;
    if (t->key_state != K_READY)
        return false;
    if (d->keys.epoch > 0 &&
        try_seqs(t, &d->keys, d->seq, rec, body_len, &seq, &type, &n)) {
        hunt_found(t, dir, seq, type, n, true);
        return true;
    }
    struct dec_keys next;
    if (!keys_for_epoch(t, dir, &d->keys, d->keys.epoch + 1, NULL, &next) ||
        !try_seqs(t, &next, 0, rec, body_len, &seq, &type, &n)) {
        keys_clear(&next);
        return false;
    }
    keys_clear(&d->keys);
    d->keys = next;
    secrets_done(t);
    hunt_found(t, dir, seq, type, n, false);
    return true;
}

/* Processes buf[0..len) of a direction (its buffered bytes, or new bytes
 * straight from the caller when none are buffered); returns how many were
 * used (the rest is less than one record), all when the direction died. */
static size_t process(struct tls_decrypt *t, int dir, const uint8_t *buf, size_t len)
{
    struct dec_dir *d = &t->d[dir];
    size_t pos = 0;
    struct rec_hdr h;
    while (!d->dead && len - pos >= REC_HDR) {
        const uint8_t *rec = buf + pos;
        read_header(rec, &h);
        size_t whole = REC_HDR + h.body_len;
        if (d->hunting) {
            if (!hunt_candidate(t, &h)) {
                if (d->framed && header_ok(&h)) {
                    if (len - pos < whole)
                        break;
                    pos += whole; /* not protected: skip it */
                    d->skipped += whole;
                    continue;
                }
                d->framed = false;
                pos++;
                d->skipped++;
                continue;
            }
            if (len - pos < whole)
                break;
            if (hunt_try(t, dir, rec, h.body_len)) {
                pos += whole;
            } else {
                size_t step = d->framed ? whole : 1;
                pos += step;
                d->skipped += step;
            }
            continue;
        }
        if (!header_ok(&h)) {
            emit(t, TLS_DEC_MALFORMED, dir, d->seq, 0, "not a TLS record header");
            if (!t->suite || !ensure_keys(t)) {
                d->dead = true; /* nothing to find records with */
                break;
            }
            d->hunting = true;
            d->framed = false;
            continue;
        }
        if (len - pos < whole)
            break;
        record(t, dir, rec, h.type, h.body_len);
        pos += whole;
    }
    return d->dead ? len : pos;
}

/* Hunting byte by byte (no record boundary known): whatever comes is
 * searched at once, as much as the buffer holds. */
static bool bytewise(const struct dec_dir *d)
{
    return d->hunting && !d->framed;
}

/* How many bytes the record held in a direction's buffer needs in all: its
 * header first, then the whole record (process() leaves a partial record
 * only behind a header it can follow, at most REC_CAP in all); hunting
 * byte by byte, a bufferful. */
static size_t held_want(const struct dec_dir *d)
{
    if (bytewise(d))
        return REC_CAP;
    if (d->len < REC_HDR)
        return REC_HDR;
    struct rec_hdr h;
    read_header(d->buf, &h);
    size_t whole = REC_HDR + h.body_len;
    return whole < REC_CAP ? whole : REC_CAP;
}

/* Room for n bytes in the direction's buffer: sized to the record it holds,
 * not to the largest record, as thousands of connections may each hold
 * part of one. */
static bool held_reserve(struct dec_dir *d, size_t n)
{
    if (d->cap >= n)
        return true;
    size_t cap = n < 512 ? 512 : n;
    uint8_t *b = realloc(d->buf, cap);
    if (!b)
        return false;
    d->buf = b;
    d->cap = cap;
    return true;
}

void tls_decrypt_feed(struct tls_decrypt *t, int dir, const uint8_t *data,
                      size_t len)
{
    dir &= 1;
    struct dec_dir *d = &t->d[dir];
    while (len > 0 && !d->dead) {
        if (d->len == 0) { /* whole records straight from the caller's bytes */
            size_t used = process(t, dir, data, len);
            data += used;
            len -= used;
            if (len == 0 || d->dead)
                break;
        }
        /* What is left is less than a record: it is completed in the
         * buffer, then the caller's bytes are read directly again. */
        size_t want = held_want(d);
        if (!held_reserve(d, want)) {
            d->dead = true;
            break;
        }
        size_t take = want - d->len < len ? want - d->len : len;
        memcpy(d->buf + d->len, data, take);
        d->len += take;
        data += take;
        len -= take;
        if (d->len < want && !bytewise(d))
            break; /* all taken; more to come */
        /* a header (process() follows it or not at once) or a record */
        size_t used = process(t, dir, d->buf, d->len);
        if (used == 0 && d->len >= held_want(d))
            break; /* cannot happen: a whole record is always used */
        memmove(d->buf, d->buf + used, d->len - used);
        d->len -= used;
    }
    if (d->len == 0 && d->buf) { /* nothing held: no buffer kept */
        free(d->buf);
        d->buf = NULL;
        d->cap = 0;
    }
}

void tls_decrypt_gap(struct tls_decrypt *t, int dir, uint64_t n)
{
    dir &= 1;
    struct dec_dir *d = &t->d[dir];
    if (d->dead)
        return;
    emit(t, TLS_DEC_GAP, dir, d->seq, n, "bytes lost in the TCP stream");
    /* what is lost runs from the record held in part (or from here) */
    d->lost = d->hunting ? d->lost + d->skipped + d->len + n : d->len + n;
    d->len = 0;
    free(d->hs.msg);
    d->hs.msg = NULL;
    d->hs.hdr_len = 0;
    d->hs.left = 0;
    /* Without the hellos nothing can be found again. */
    if (!t->suite || t->key_state == K_NONE || !ensure_keys(t)) {
        d->dead = true;
        return;
    }
    d->hunting = true;
    d->framed = false;
    d->skipped = 0;
}
