/* The TLS record layer for decryption. See tls_decrypt.h. Records from
 * RFC 8446 section 5 (TLS 1.3) and RFC 5246 section 6.2 (TLS 1.2): framing,
 * opening, what they carry, finding records again after a hole; the hellos
 * and each epoch's keys are in tls_decrypt_hs.c, the key schedule itself
 * in tls_keys.c. */
#include "transport/tls_decrypt_priv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "util/wire.h"

/* ---- events ---- */

void tls_dec_emit(struct tls_decrypt *t, enum tls_dec_event_kind kind, int dir,
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

uint8_t *tls_dec_scratch_get(void)
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

void tls_dec_keys_clear(struct dec_keys *k)
{
    tls_cipher_clear(k->cipher);
    explicit_bzero(k, sizeof *k);
}

void tls_dec_secrets_free(struct tls_decrypt *t)
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
        tls_dec_keys_clear(&t->d[i].keys);
    }
    if (t->out)
        scratch_put();
    tls_dec_secrets_free(t);
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
            tls_dec_protected_handshake(d, t->out, n);
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
        tls_dec_set_epoch(t, dir, d->keys.epoch + 1);
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
        if (!tls_dec_ensure_keys(t) || !tls_dec_set_epoch(t, dir, 1)) {
            d->dead = true;
            return;
        }
    }
    if (open_record(t, &d->keys, d->seq, rec, body_len, &type, &n)) {
        d->seq++;
        deliver(t, dir, type, n);
        return;
    }
    tls_dec_emit(t, TLS_DEC_AUTH_FAIL, dir, d->seq, 0, "record failed authentication");
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
        tls_dec_plaintext_handshake(t, dir, rec + REC_HDR, body_len);
        break;
    case CT_CHANGE_CIPHER_SPEC:
        /* RFC 5246 7.1: the records after it use the new keys. */
        if (t->suite && !t->suite->tls13) {
            if (!tls_dec_ensure_keys(t) || !tls_dec_set_epoch(t, dir, 1))
                d->dead = true;
        }
        break;
    case CT_APPLICATION_DATA:
        if (!t->suite) {
            tls_dec_emit(t, TLS_DEC_UNSUPPORTED, dir, 0, 0,
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
    tls_dec_emit(t, TLS_DEC_RESYNC, dir, seq, d->skipped, "records decrypt again");
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
    if (!tls_dec_keys_for_epoch(t, dir, &d->keys, d->keys.epoch + 1, NULL, &next) ||
        !try_seqs(t, &next, 0, rec, body_len, &seq, &type, &n)) {
        tls_dec_keys_clear(&next);
        return false;
    }
    tls_dec_keys_clear(&d->keys);
    d->keys = next;
    tls_dec_secrets_done(t);
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
            tls_dec_emit(t, TLS_DEC_MALFORMED, dir, d->seq, 0, "not a TLS record header");
            if (!t->suite || !tls_dec_ensure_keys(t)) {
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

/* The same before anything is held, when the caller's bytes start with a
 * header this layer follows: the whole record at once (one allocation,
 * not one for the header and another for the rest). Any other header is
 * taken alone first, as process() says what it makes of it at once. */
static size_t first_want(const struct dec_dir *d, const uint8_t *data, size_t len)
{
    struct rec_hdr h;
    if (d->len > 0 || bytewise(d) || len < REC_HDR)
        return held_want(d);
    read_header(data, &h);
    return header_ok(&h) ? REC_HDR + h.body_len : held_want(d);
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
        size_t want = first_want(d, data, len);
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
    tls_dec_emit(t, TLS_DEC_GAP, dir, d->seq, n, "bytes lost in the TCP stream");
    /* what is lost runs from the record held in part (or from here) */
    d->lost = d->hunting ? d->lost + d->skipped + d->len + n : d->len + n;
    d->len = 0;
    free(d->hs.msg);
    d->hs.msg = NULL;
    d->hs.hdr_len = 0;
    d->hs.left = 0;
    /* Without the hellos nothing can be found again. */
    if (!t->suite || t->key_state == K_NONE || !tls_dec_ensure_keys(t)) {
        d->dead = true;
        return;
    }
    d->hunting = true;
    d->framed = false;
    d->skipped = 0;
}
