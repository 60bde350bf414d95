/* TLS decryption with a key log: the record layer of one TCP connection,
 * both directions, fed push style in any chunking (like the WebSocket
 * layer). It reads the ClientHello and ServerHello (client random, server
 * random, version, cipher suite), takes the connection's secrets from a key
 * log, derives the traffic keys (tls_keys.h), authenticates and decrypts
 * every protected record and hands each direction's application_data
 * plaintext up through a callback. TLS 1.3 (handshake then application
 * keys, KeyUpdate followed) and TLS 1.2 (keys from the master secret after
 * ChangeCipherSpec), with the AEAD suites of tls_suite_find().
 *
 * Only bytes whose authentication tag checked are ever passed up. What goes
 * wrong is an event: no key for the connection, a suite or version that
 * cannot be decrypted, a record that fails authentication, a gap in the TCP
 * stream; after a failure or a gap the direction looks for the next record
 * header that decrypts (trying the next few sequence numbers, and the next
 * set of keys), then continues. Key material is never passed up or printed.
 *
 * Memory: per direction, while a record is cut by a segment boundary, that
 * record (at most 5 + 2^14 + 2048 bytes; whole records are opened straight
 * from the bytes fed) and one hello while it is being read; one plaintext
 * record per thread, shared by its decryptors.
 */
#ifndef MQD_CLI_TLS_DECRYPT_H
#define MQD_CLI_TLS_DECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/tls_hello.h"
#include "transport/tls_keylog.h"

enum tls_dec_event_kind {
    TLS_DEC_KEYS,        /* keys found: decrypting (version, suite) */
    TLS_DEC_NO_KEY,      /* the key log has no secrets for client_random */
    TLS_DEC_UNSUPPORTED, /* version or suite not decryptable, or no hellos */
    TLS_DEC_AUTH_FAIL,   /* a record failed authentication (seq) */
    TLS_DEC_GAP,         /* bytes lost in the stream (bytes) */
    TLS_DEC_RESYNC,      /* records decrypt again (seq; bytes skipped) */
    TLS_DEC_ALERT,       /* a protected alert (level, description) */
    TLS_DEC_MALFORMED,   /* a record header that is not TLS (hunting starts) */
};

struct tls_dec_event {
    enum tls_dec_event_kind kind;
    int dir;                      /* 0: client to server, -1: connection */
    uint16_t version, suite;      /* as negotiated (0: not known) */
    uint64_t seq;                 /* record sequence number */
    uint64_t bytes;
    uint8_t alert_level, alert_desc;
    const uint8_t *client_random; /* 32 bytes, when known */
    const char *reason;           /* a short text */
};

/* The protected record whose plaintext a data callback is given. */
struct tls_dec_record {
    uint64_t seq;       /* its sequence number (per direction and key epoch) */
    uint16_t length;    /* the header's length: the protected body's bytes */
    uint8_t type;       /* the header's content type (23 application_data) */
    uint8_t inner_type; /* TLS 1.3: the inner content type; TLS 1.2: 0 */
    uint8_t epoch;      /* TLS 1.3: 1 handshake keys, 2 the first
                           application keys, +1 per KeyUpdate; TLS 1.2: 1 */
};

/* tls_dec_callbacks.lost: how many plaintext bytes could not be told. */
#define TLS_DEC_LOST_UNKNOWN UINT64_MAX

struct tls_dec_callbacks {
    /* Plaintext application data of direction dir, in order. */
    void (*data)(void *ctx, int dir, const uint8_t *p, size_t n);
    void (*event)(void *ctx, const struct tls_dec_event *ev);
    void *ctx;
    /* Records of dir were lost (a hole in the stream, or a record that
     * failed authentication) and the records after them decrypt again
     * (after TLS_DEC_RESYNC, before their plaintext): n plaintext bytes are
     * missing before the next data, or TLS_DEC_LOST_UNKNOWN. n is the bytes
     * from the first lost record to the record found, less each lost
     * record's header, tag and (TLS 1.3) content type byte: exact for
     * application data records without padding, which is what MQTT peers
     * send; unknown for CBC suites and across a key update. Optional. */
    void (*lost)(void *ctx, int dir, uint64_t n);
};

struct tls_decrypt;

/* A decryptor for one connection. The key log is shared (not owned); it is
 * re-read once (tls_keylog_reload) when the connection's client random is
 * not in it. NULL when out of memory. */
struct tls_decrypt *tls_decrypt_new(struct tls_keylog *kl,
                                    const struct tls_dec_callbacks *cb);
void tls_decrypt_free(struct tls_decrypt *t);

/* The same in memory of the caller's (so that a decryptor can share its
 * owner's allocation): tls_decrypt_size() bytes aligned to 64, given to
 * tls_decrypt_init; tls_decrypt_fini releases what the decryptor holds,
 * not that memory. */
size_t tls_decrypt_size(void);
struct tls_decrypt *tls_decrypt_init(void *mem, struct tls_keylog *kl,
                                     const struct tls_dec_callbacks *cb);
void tls_decrypt_fini(struct tls_decrypt *t);

/* Asks for the cache lines the next record of direction dir reads first;
 * reads nothing of t (it need not be in cache). */
void tls_decrypt_prefetch(const struct tls_decrypt *t, int dir);
/* Then, once those lines are in (a while after tls_decrypt_prefetch):
 * asks for the direction's cipher context, which they point to. */
void tls_decrypt_prefetch_cipher(const struct tls_decrypt *t, int dir);

/* The TCP payload of direction dir (0: client), in order, any chunking. */
void tls_decrypt_feed(struct tls_decrypt *t, int dir, const uint8_t *data,
                      size_t len);

/* n bytes of direction dir were lost (a hole in TCP reassembly). */
void tls_decrypt_gap(struct tls_decrypt *t, int dir, uint64_t n);

/* During a data callback: the record being handed up. */
const struct tls_dec_record *tls_decrypt_record(const struct tls_decrypt *t);

/* True once keys are set up (after TLS_DEC_KEYS). */
bool tls_decrypt_active(const struct tls_decrypt *t);

#endif
