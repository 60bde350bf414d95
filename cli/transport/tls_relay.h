/* TLS decrypted on another thread than the one its transport runs on: the
 * reading thread takes some TLS connections off the decoding thread
 * (pipeline_share.c), so that both share the work of decryption. Here
 * the connection's decryptor (tls_decrypt.h) runs, and what it hands up
 * (plaintext with the record it came in, events, lost bytes) becomes notes:
 * flat byte strings that the transport replays in order
 * (transport_relayed, transport.h) exactly as its own decryptor would have
 * said them. The transport still gets the connection's bytes until keys
 * are found (tls_relay_wants_bytes): it reads and reports the hellos.
 *
 * Notes never carry key material: plaintext, record headers' fields, the
 * public client random of an event.
 */
#ifndef MQD_CLI_TLS_RELAY_H
#define MQD_CLI_TLS_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/tls_decrypt.h"
#include "transport/tls_keylog.h"

/* Where notes go: head (nhead bytes) then bytes (n) are one note of
 * direction dir (the same shape as flow_events.h's flow_note_fn). */
typedef void (*tls_relay_note_fn)(void *ctx, int dir, const void *head,
                                  size_t nhead, const uint8_t *bytes, size_t n);

struct tls_relay;

/* One connection's relay in the caller's memory: tls_relay_size() bytes
 * aligned to 64. The key log is shared (it must be safe to read on two
 * threads: tls_keylog_lookup). tls_relay_fini releases what it holds, not
 * that memory. */
size_t tls_relay_size(void);
struct tls_relay *tls_relay_init(void *mem, struct tls_keylog *kl);
void tls_relay_fini(struct tls_relay *r);

/* Asks for the cache lines the next bytes of dir will read first; reads
 * nothing of r. */
void tls_relay_prefetch(const struct tls_relay *r, int dir);

/* The TCP payload of dir, in order; notes go to note(ctx, ...) meanwhile.
 * Returns whether the transport is still to get the connection's bytes
 * besides (no keys yet: it reads the hellos), from the next bytes on; the
 * bytes before the first call it gets. */
bool tls_relay_data(struct tls_relay *r, int dir, const uint8_t *data,
                    size_t len, tls_relay_note_fn note, void *ctx);

/* n bytes of dir lost; notes as for tls_relay_data. */
void tls_relay_gap(struct tls_relay *r, int dir, uint64_t n,
                   tls_relay_note_fn note, void *ctx);

/* ---- reading a note (the transport's side) ---- */

enum tls_note_kind { TLS_NOTE_PLAIN, TLS_NOTE_EVENT, TLS_NOTE_LOST };

struct tls_note {
    enum tls_note_kind kind;
    struct tls_dec_record rec;  /* PLAIN: the record of the bytes */
    struct tls_dec_event ev;    /* EVENT (client_random points into the
                                   note) */
    uint64_t lost;              /* LOST: as tls_dec_callbacks.lost */
    const uint8_t *bytes;       /* PLAIN: the plaintext */
    size_t n;
};

/* Reads a note made by tls_relay into *out; false when it is not one. */
bool tls_note_read(const uint8_t *note, size_t len, struct tls_note *out);

#endif
