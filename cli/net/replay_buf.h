/* The first bytes a stream that cannot seek (a pipe, decompressed bytes)
 * gave its reader, kept so that they can be read once more from the start:
 * what reads a capture's first blocks before libpcap does (the pcapng
 * Decryption Secrets Blocks, net/pcapng_secrets.h) seeks back to 0 after.
 * Used inside a fopencookie stream's read and seek functions. */
#ifndef MQD_CLI_REPLAY_BUF_H
#define MQD_CLI_REPLAY_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many bytes are kept: what the first blocks may take
 * (PCAPNG_SECRETS_MAX_PREFIX) and a stream buffer's read-ahead. */
#define REPLAY_BUF_MAX (((size_t)64 << 20) + ((size_t)1 << 20))

struct replay_buf {
    uint8_t *b;
    size_t len, cap, pos;
    bool recording; /* bytes read are kept (from replay_start to a seek) */
    bool replaying; /* they are given again (pos of len) */
    bool overflow;  /* more than REPLAY_BUF_MAX came: no replay */
};

/* From now on (the stream's start) bytes read are kept. */
void replay_start(struct replay_buf *r);

/* Stops keeping and giving back; frees. */
void replay_stop(struct replay_buf *r);

/* In the cookie's read, first: kept bytes given again into buf (at most
 * size); 0 when none (then read the source, and replay_keep what came). */
size_t replay_give(struct replay_buf *r, char *buf, size_t size);

/* What the source gave (n bytes at buf), kept while recording. */
void replay_keep(struct replay_buf *r, const char *buf, size_t n);

/* The cookie's seek: to the start (SEEK_SET 0) while recording, the kept
 * bytes are given again, then the source goes on; anything else fails. */
int replay_seek(struct replay_buf *r, int64_t pos, int whence);

#endif
