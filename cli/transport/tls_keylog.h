/* TLS secrets from an NSS key log (the format SSLKEYLOGFILE, Python's
 * ssl.SSLContext.keylog_filename, Go's KeyLogWriter and others write), for
 * decrypting captured TLS. One line per secret:
 *
 *     LABEL <client random, 64 hex digits> <secret, hex>
 *
 * Labels used: CLIENT_RANDOM (TLS 1.2 master secret, 48 bytes) and the
 * TLS 1.3 traffic secrets CLIENT_HANDSHAKE_TRAFFIC_SECRET,
 * SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0,
 * SERVER_TRAFFIC_SECRET_0 (32 or 48 bytes). Comments (#), blank lines and
 * other labels are skipped; a malformed line is counted (the first one is
 * remembered with its source and line number) and skipped, never fatal.
 *
 * Secrets from several files (and pcapng Decryption Secrets Blocks) merge in
 * one table keyed by client random. Memory is bounded: at most max_entries
 * connections; lines for more are counted as dropped. A file that grows
 * while it is being captured is re-read from where the last read stopped
 * (tls_keylog_reload); a line without its newline yet is left for later.
 * Secrets are never printed by this module.
 */
#ifndef MQD_CLI_TLS_KEYLOG_H
#define MQD_CLI_TLS_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_RANDOM_LEN 32
#define TLS_SECRET_MAX 48
#define TLS_KEYLOG_LINE_MAX 1024 /* longer lines are malformed */
#define TLS_KEYLOG_DEFAULT_MAX 65536

/* pcapng Decryption Secrets Block, secrets type "TLSK": a TLS key log. */
#define TLS_KEYLOG_DSB_TYPE 0x544c534bu

enum tls_secret_kind {
    TLS_SECRET_MASTER,      /* CLIENT_RANDOM: the TLS 1.2 master secret */
    TLS_SECRET_CLIENT_HS,   /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
    TLS_SECRET_SERVER_HS,   /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
    TLS_SECRET_CLIENT_APP,  /* CLIENT_TRAFFIC_SECRET_0 */
    TLS_SECRET_SERVER_APP,  /* SERVER_TRAFFIC_SECRET_0 */
    TLS_SECRET_KINDS
};

struct tls_secret {
    uint8_t len; /* 0: not known */
    uint8_t b[TLS_SECRET_MAX];
};

/* The secrets of one connection. */
struct tls_keylog_entry {
    uint8_t client_random[TLS_RANDOM_LEN];
    bool used; /* a table slot in use */
    struct tls_secret secret[TLS_SECRET_KINDS];
};

struct tls_keylog_stats {
    uint64_t lines;     /* lines read (all of them) */
    uint64_t secrets;   /* lines with a secret kept */
    uint64_t ignored;   /* comments, blank lines, other labels */
    uint64_t malformed; /* a known label with a bad random or secret */
    uint64_t dropped;   /* secrets of connections beyond max_entries */
    size_t entries;     /* connections known */
    /* The first malformed line: source (file name or "pcapng") and line. */
    char first_malformed_source[128];
    uint64_t first_malformed_line;
};

struct tls_keylog;

/* A table for at most max_entries connections (0: TLS_KEYLOG_DEFAULT_MAX).
 * NULL when out of memory. */
struct tls_keylog *tls_keylog_new(size_t max_entries);
void tls_keylog_free(struct tls_keylog *kl);

/* Reads a key log file now and remembers it for tls_keylog_reload. Returns
 * 0, or -1 with errno set when it cannot be opened (it is not remembered). */
int tls_keylog_add_file(struct tls_keylog *kl, const char *path);

/* Reads what the remembered files gained since the last read (a file that
 * got shorter is read again from its start). Returns the number of secrets
 * added. */
size_t tls_keylog_reload(struct tls_keylog *kl);

/* Parses key log text (lines; the last one may lack its newline). source
 * names it in the malformed-line report. Returns the secrets added. */
size_t tls_keylog_add_text(struct tls_keylog *kl, const char *text, size_t len,
                           const char *source);

/* The body of a pcapng Decryption Secrets Block (after block type and
 * length): secrets type, secrets length, data. big_endian is the section's
 * byte order. Returns 1 when it held a TLS key log (added), 0 for another
 * secrets type, -1 when malformed (length beyond the body). */
int tls_keylog_add_dsb(struct tls_keylog *kl, const uint8_t *body, size_t len,
                       bool big_endian);

/* The secrets known for a client random, or NULL. The pointer is valid until
 * the next call that adds secrets: for a table only one thread uses. */
const struct tls_keylog_entry *tls_keylog_find(const struct tls_keylog *kl,
                                               const uint8_t *client_random);

/* The same, copied into *out (false: none known), for a table that several
 * threads use: safe while another adds secrets (the functions above that
 * add are, with each other and with this). */
bool tls_keylog_lookup(struct tls_keylog *kl, const uint8_t *client_random,
                       struct tls_keylog_entry *out);

const struct tls_keylog_stats *tls_keylog_stats(const struct tls_keylog *kl);

#endif
