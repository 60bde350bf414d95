/* gen_tls: the TLS 1.3 side of gen_capture -T: a connection's handshake
 * flights and its application data as TLS_AES_128_GCM_SHA256 records,
 * encrypted with libcrypto under secrets that are made up (from a seeded
 * PRNG, so the same seed gives the same bytes) and written to a key log in
 * the NSS format, so that a reader with the key log can decrypt them.
 *
 * The handshake is the shape of a real one, not a real one: a ClientHello
 * and ServerHello (supported_versions TLS 1.3, key_share), the middlebox
 * ChangeCipherSpec of each side, then under the handshake keys the
 * server's EncryptedExtensions and Finished and the client's Finished (no
 * certificate; nothing is verified). Application data follows under the
 * application keys, one record per 16 KiB of each write (RFC 8446 5.1).
 */
#ifndef GEN_TLS_H
#define GEN_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GTLS_RECORD_MAX 16384 /* plaintext bytes in one record */
#define GTLS_OVERHEAD 22      /* header 5, inner content type 1, tag 16 */

struct gtls_conn {
    uint8_t client_random[32];
    uint8_t secret[4][32]; /* client hs, server hs, client app, server app */
    uint8_t key[2][16], iv[2][12]; /* current keys per direction (0: client) */
    uint64_t seq[2];
};

/* Once: the PRNG seed and the key log every connection's secrets go to. */
void gtls_init(uint64_t seed, FILE *keylog);

/* Bytes the sealed form of n plaintext bytes takes (gtls_seal). */
size_t gtls_sealed_len(size_t n);

/* The flights, in order; each writes its records at out (at most 1024
 * bytes) and returns their length. client_hello makes the connection's
 * random and secrets and logs them; client_finished switches both
 * directions to the application keys. */
size_t gtls_client_hello(struct gtls_conn *t, uint8_t *out);
size_t gtls_server_flight(struct gtls_conn *t, uint8_t *out);
size_t gtls_client_finished(struct gtls_conn *t, uint8_t *out);

/* Application data p[0..n) of direction dir (0: client) as records at out
 * (gtls_sealed_len(n) bytes); returns that length. */
size_t gtls_seal(struct gtls_conn *t, int dir, const uint8_t *p, size_t n,
                 uint8_t *out);

#endif
