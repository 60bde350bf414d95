/* What the two halves of the TLS decryptor share: tls_decrypt.c (the
 * record layer) and tls_decrypt_hs.c (the hellos and each epoch's keys).
 * Nothing else includes it. */
#ifndef MQD_CLI_TLS_DECRYPT_PRIV_H
#define MQD_CLI_TLS_DECRYPT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/tls_decrypt.h"
#include "transport/tls_keys.h"

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

/* ---- tls_decrypt.c ---- */

/* An event of kind about direction dir (-1: the connection) to the
 * callbacks. */
void tls_dec_emit(struct tls_decrypt *t, enum tls_dec_event_kind kind, int dir,
                  uint64_t seq, uint64_t bytes, const char *reason);
/* The thread's plaintext buffer (REC_BODY_MAX bytes), one more user. */
uint8_t *tls_dec_scratch_get(void);
/* Frees a direction's cipher and wipes its keys. */
void tls_dec_keys_clear(struct dec_keys *k);
/* Wipes and frees the connection's secrets. */
void tls_dec_secrets_free(struct tls_decrypt *t);

/* ---- tls_decrypt_hs.c ---- */

/* Finds the connection's secrets and sets up what both directions need.
 * Once: afterwards key_state says READY or NONE. */
bool tls_dec_ensure_keys(struct tls_decrypt *t);
/* The keys of `epoch` for direction dir into out; `from` is the epoch
 * before (for a TLS 1.3 KeyUpdate); `reuse` (or NULL), a cipher whose keys
 * are not needed any more, is moved into out and re-keyed. False when they
 * cannot be had (out's cipher is then to be cleared: tls_dec_keys_clear). */
bool tls_dec_keys_for_epoch(struct tls_decrypt *t, int dir,
                            const struct dec_keys *from, int epoch,
                            struct tls_cipher *reuse, struct dec_keys *out);
/* TLS 1.3: the key log's secrets are let go once both directions have
 * their application keys. */
void tls_dec_secrets_done(struct tls_decrypt *t);
/* Direction dir's keys become `epoch`'s, its sequence numbers start again;
 * false (the direction dead, said) when they cannot be had. */
bool tls_dec_set_epoch(struct tls_decrypt *t, int dir, int epoch);
/* Protected handshake bytes of a direction (TLS 1.3): their message types
 * and lengths only; a Finished or KeyUpdate sets next_epoch. */
void tls_dec_protected_handshake(struct dec_dir *d, const uint8_t *p, size_t n);
/* A plaintext handshake record's body: the hellos. */
void tls_dec_plaintext_handshake(struct tls_decrypt *t, int dir,
                                 const uint8_t *p, size_t n);

#endif
