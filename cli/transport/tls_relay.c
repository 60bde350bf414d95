/* A connection's TLS decrypted on one thread, told to its transport on
 * another. See tls_relay.h. A note is a tag, then the struct it names,
 * then (plaintext) the bytes: in-process memory this program wrote, read
 * back on the other thread with the same layout. */
#include "transport/tls_relay.h"

#include <string.h>

/* The decryptor lies on the cache line after it (dec_of). */
struct tls_relay {
    /* Where this call's notes go (tls_relay_data, tls_relay_gap). */
    tls_relay_note_fn note;
    void *note_ctx;
};

#define RELAY_DEC_AT ((size_t)64)
_Static_assert(sizeof(struct tls_relay) <= RELAY_DEC_AT, "a relay is one line");

static struct tls_decrypt *dec_of(const struct tls_relay *r)
{
    return (struct tls_decrypt *)(void *)((unsigned char *)(uintptr_t)r + RELAY_DEC_AT);
}

/* The tag before every note's struct, padded so the struct is aligned. */
struct note_tag {
    uint8_t kind; /* enum tls_note_kind */
    uint8_t has_random;
    uint8_t pad[6];
};

/* An event as a note: the reason is one of the decryptor's string
 * literals (it outlives every thread); the client random is copied. */
struct note_event {
    struct note_tag tag;
    struct tls_dec_event ev;
    uint8_t client_random[TLS_RANDOM_LEN];
};

struct note_plain {
    struct note_tag tag;
    struct tls_dec_record rec;
};

struct note_lost {
    struct note_tag tag;
    uint64_t lost;
};

static void on_plain(void *ctx, int dir, const uint8_t *p, size_t n)
{
    struct tls_relay *r = ctx;
    struct note_plain h;
    memset(&h, 0, sizeof h);
    h.tag.kind = TLS_NOTE_PLAIN;
    h.rec = *tls_decrypt_record(dec_of(r));
    r->note(r->note_ctx, dir, &h, sizeof h, p, n);
}

static void on_event(void *ctx, const struct tls_dec_event *ev)
{
    struct tls_relay *r = ctx;
    struct note_event h;
    memset(&h, 0, sizeof h);
    h.tag.kind = TLS_NOTE_EVENT;
    h.ev = *ev;
    h.ev.client_random = NULL;
    if (ev->client_random) {
        h.tag.has_random = 1;
        memcpy(h.client_random, ev->client_random, TLS_RANDOM_LEN);
    }
    r->note(r->note_ctx, ev->dir < 0 ? 0 : ev->dir, &h, sizeof h, NULL, 0);
}

static void on_lost(void *ctx, int dir, uint64_t n)
{
    struct tls_relay *r = ctx;
    struct note_lost h;
    memset(&h, 0, sizeof h);
    h.tag.kind = TLS_NOTE_LOST;
    h.lost = n;
    r->note(r->note_ctx, dir, &h, sizeof h, NULL, 0);
}

size_t tls_relay_size(void)
{
    return RELAY_DEC_AT + tls_decrypt_size();
}

struct tls_relay *tls_relay_init(void *mem, struct tls_keylog *kl)
{
    struct tls_relay *r = mem;
    memset(r, 0, sizeof *r);
    struct tls_dec_callbacks cb = {on_plain, on_event, r, on_lost};
    (void)tls_decrypt_init(dec_of(r), kl, &cb);
    return r;
}

void tls_relay_fini(struct tls_relay *r)
{
    tls_decrypt_fini(dec_of(r));
}

void tls_relay_prefetch(const struct tls_relay *r, int dir)
{
    __builtin_prefetch(r);
    tls_decrypt_prefetch(dec_of(r), dir);
}

bool tls_relay_data(struct tls_relay *r, int dir, const uint8_t *data,
                    size_t len, tls_relay_note_fn note, void *ctx)
{
    /* The cipher's lines, behind a pointer of the decryptor's (asked for
     * at the segment's lookup, tls_relay_prefetch): all at once now,
     * rather than one miss after another as the record is opened. */
    tls_decrypt_prefetch_cipher(dec_of(r), dir);
    r->note = note;
    r->note_ctx = ctx;
    tls_decrypt_feed(dec_of(r), dir, data, len);
    r->note = NULL;
    return !tls_decrypt_active(dec_of(r));
}

void tls_relay_gap(struct tls_relay *r, int dir, uint64_t n,
                   tls_relay_note_fn note, void *ctx)
{
    r->note = note;
    r->note_ctx = ctx;
    tls_decrypt_gap(dec_of(r), dir, n);
    r->note = NULL;
}

/* The note's head into h (size bytes): at least that long (exact: just
 * that long)? */
static bool read_head(const uint8_t *note, size_t len, void *h, size_t size,
                      bool exact)
{
    if (len < size || (exact && len != size))
        return false;
    memcpy(h, note, size);
    return true;
}

bool tls_note_read(const uint8_t *note, size_t len, struct tls_note *out)
{
    struct note_tag tag;
    if (!read_head(note, len, &tag, sizeof tag, false))
        return false;
    memset(out, 0, sizeof *out);
    out->kind = (enum tls_note_kind)tag.kind;
    struct note_plain plain;
    struct note_event event;
    struct note_lost lost;
    switch (tag.kind) {
    case TLS_NOTE_PLAIN:
        if (!read_head(note, len, &plain, sizeof plain, false))
            return false;
        out->rec = plain.rec;
        out->bytes = note + sizeof plain;
        out->n = len - sizeof plain;
        return true;
    case TLS_NOTE_EVENT:
        if (!read_head(note, len, &event, sizeof event, true))
            return false;
        out->ev = event.ev;
        if (tag.has_random)
            out->ev.client_random = note + offsetof(struct note_event, client_random);
        return true;
    case TLS_NOTE_LOST:
        if (!read_head(note, len, &lost, sizeof lost, true))
            return false;
        out->lost = lost.lost;
        return true;
    default:
        return false;
    }
}
