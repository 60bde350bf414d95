/* The Decryption Secrets Blocks of a pcapng file (pcapng_secrets_*), which
 * libpcap reads past without handing them over: the file's blocks are read
 * from its start up to its first packet (a DSB must come before the packets
 * whose traffic it decrypts; editcap --inject-secrets writes them right
 * after the section header), and each DSB's body is passed to a callback.
 * Only a regular file is read (a pipe's bytes would be taken from libpcap);
 * anything else, or a file that is not pcapng, gives no blocks. Bounded: at
 * most PCAPNG_SECRETS_MAX_BLOCKS blocks are looked at, a DSB body holds at
 * most PCAPNG_SECRETS_MAX_BODY bytes (a larger one is skipped). */
#ifndef MQD_CLI_PCAPNG_SECRETS_H
#define MQD_CLI_PCAPNG_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPNG_SECRETS_MAX_BLOCKS 4096
#define PCAPNG_SECRETS_MAX_BODY (16u << 20)

/* One DSB: body (after block type and length, without the trailing
 * length) of len bytes, in a section of the given byte order. */
typedef void (*pcapng_secrets_cb)(void *ctx, const uint8_t *body, size_t len,
                                  bool big_endian);

/* Reads the DSBs of the pcapng file at path. Returns how many were found,
 * or -1 when the file is not a regular file or not pcapng (nothing to
 * do), or is cut or malformed before its first packet (the blocks before
 * the damage were passed on). */
int pcapng_secrets_scan(const char *path, pcapng_secrets_cb cb, void *ctx);

#endif
