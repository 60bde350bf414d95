/* The Decryption Secrets Blocks of a pcapng file or stream
 * (pcapng_secrets_*), which libpcap reads past without handing them over:
 * its blocks are read from its start up to its first packet (a DSB must
 * come before the packets whose traffic it decrypts; editcap
 * --inject-secrets writes them right after the section header), and each
 * DSB's body is passed to a callback. Anything that is not pcapng gives no
 * blocks. Bounded: at most PCAPNG_SECRETS_MAX_BLOCKS blocks and
 * PCAPNG_SECRETS_MAX_PREFIX bytes are looked at, a DSB body holds at most
 * PCAPNG_SECRETS_MAX_BODY bytes (a larger one is skipped). */
#ifndef MQD_CLI_PCAPNG_SECRETS_H
#define MQD_CLI_PCAPNG_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCAPNG_SECRETS_MAX_BLOCKS 4096
#define PCAPNG_SECRETS_MAX_BODY (16u << 20)
#define PCAPNG_SECRETS_MAX_PREFIX ((size_t)64 << 20)

/* One DSB: body (after block type and length, without the trailing
 * length) of len bytes, in a section of the given byte order. */
typedef void (*pcapng_secrets_cb)(void *ctx, const uint8_t *body, size_t len,
                                  bool big_endian);

/* Reads the DSBs of the pcapng file at path. Returns how many were found,
 * or -1 when the file is not a regular file or not pcapng (nothing to
 * do), or is cut or malformed before its first packet (the blocks before
 * the damage were passed on). */
int pcapng_secrets_scan(const char *path, pcapng_secrets_cb cb, void *ctx);

/* The same from f, from its position (its first byte) on: f is read up
 * to its first packet, not further (the caller seeks back: a pipe or
 * decompressed bytes keep what was read for that, net/replay_buf.h). */
int pcapng_secrets_read(FILE *f, pcapng_secrets_cb cb, void *ctx);

#endif
