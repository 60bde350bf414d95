/* TLS at the start of a connection (RFC 8446, RFC 5246): reads the
 * ClientHello and the ServerHello out of the first handshake records of each
 * direction and keeps what identifies the connection (versions, SNI, ALPN,
 * the chosen cipher suite). Records are never decrypted or parsed as MQTT.
 *
 * Push style: tls_hello_feed() takes each direction's bytes in any chunking.
 * A hello split over several records and segments is collected (at most
 * TLS_HELLO_MAX bytes, allocated once per direction when its length is
 * known); anything else is skipped at no cost.
 */
#ifndef MQD_CLI_TLS_HELLO_H
#define MQD_CLI_TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_HELLO_MAX (16u * 1024u)

/* What the hellos said. Strings are NUL-terminated, cut to fit. */
struct tls_info {
    bool client_hello, server_hello; /* parsed */
    uint16_t record_version;   /* of the client's first record */
    uint16_t client_version;   /* ClientHello.legacy_version */
    uint16_t client_max_version; /* highest in supported_versions, else legacy */
    char sni[256];             /* server_name (host_name) */
    char alpn[160];            /* protocols, comma-separated */
    bool alpn_mqtt;            /* an ALPN protocol names MQTT */
    uint16_t server_version;   /* supported_versions (1.3), else legacy */
    uint16_t cipher_suite;
    char server_alpn[64];      /* the protocol the server chose */
    /* What decryption needs (RFC 8446 4.1.2, 4.1.3): the two randoms and the
     * session id each side sent (0..32 bytes). */
    uint8_t client_random[32], server_random[32];
    uint8_t client_session_id[32], server_session_id[32];
    uint8_t client_session_id_len, server_session_id_len;
    bool encrypt_then_mac;     /* the server accepted RFC 7366 (CBC suites) */
};

/* Per-direction progress through records and the first handshake message. */
struct tls_dir {
    uint8_t rec_hdr[5];
    uint8_t rec_hdr_len;
    uint32_t rec_left;   /* bytes of the current record still to come */
    uint8_t rec_type;
    uint8_t msg_hdr[4];  /* handshake type and 24-bit length */
    uint8_t msg_hdr_len;
    uint8_t *msg;        /* the whole first handshake message (with header) */
    uint32_t msg_len, msg_want;
    bool done;           /* hello parsed, or given up */
    bool bad;            /* not TLS, or not a hello */
};

struct tls_hello {
    struct tls_dir dir[2];
    struct tls_info info;
};

/* Does data start like a TLS record carrying a ClientHello? 1 yes, 0 no,
 * -1 too short to tell (at most 6 bytes are looked at). */
int tls_looks_like_client_hello(const uint8_t *data, size_t len);

void tls_hello_init(struct tls_hello *t);
/* Frees the message buffers. */
void tls_hello_free(struct tls_hello *t);

/* Feeds bytes of direction `dir` (0: client). Returns true once the
 * direction's hello is parsed or known not to come (then later bytes are
 * ignored cheaply). */
bool tls_hello_feed(struct tls_hello *t, int dir, const uint8_t *data,
                    size_t len);

static inline bool tls_hello_dir_done(const struct tls_hello *t, int dir)
{
    return t->dir[dir & 1].done;
}

/* Parse a whole handshake message (type, 24-bit length, body) into info:
 * true when it is a well-formed ClientHello / ServerHello. */
bool tls_parse_client_hello(const uint8_t *msg, size_t len,
                            struct tls_info *info);
bool tls_parse_server_hello(const uint8_t *msg, size_t len,
                            struct tls_info *info);

/* "SSL3.0", "TLS1.0" .. "TLS1.3", "0x7f1c"-style for others (buf: 8+). */
const char *tls_version_name(uint16_t v, char *buf, size_t len);
/* IANA name of common cipher suites, NULL for others. */
const char *tls_cipher_name(uint16_t suite);

#endif
