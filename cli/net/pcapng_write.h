/* A pcapng writer (draft-ietf-opsawg-pcapng): one Section Header Block,
 * one Interface Description Block, then an Enhanced Packet Block per
 * packet, in the host's byte order (the SHB's byte-order magic says which),
 * timestamps in nanoseconds (if_tsresol 9). libpcap reads pcapng but cannot
 * write it; capture_save.c uses this for -w with pcapng output.
 *
 * Bounded: a packet's captured length is at most PCAPNG_WRITE_MAX_CAPLEN
 * (larger is refused, never truncated silently); nothing is allocated. */
#ifndef MQD_CLI_PCAPNG_WRITE_H
#define MQD_CLI_PCAPNG_WRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PCAPNG_WRITE_MAX_CAPLEN (16u << 20)

/* LINKTYPE_* for a pcapng IDB (or a pcap file header) from libpcap's DLT_*:
 * the same numbers except where DLT_ values differ by platform (DLT_RAW). */
uint16_t pcapng_linktype_of_dlt(int dlt);

/* Writes the SHB and the IDB (link type from `dlt`, `snaplen`). 0, or -1
 * when the stream failed. */
int pcapng_write_header(FILE *f, int dlt, uint32_t snaplen);

/* One EPB on interface 0: time `sec` seconds and `nsec` nanoseconds after
 * the epoch, `caplen` bytes of `data` captured of `len` on the wire. 0, or
 * -1 when the stream failed or caplen is out of bounds. */
int pcapng_write_packet(FILE *f, int64_t sec, uint32_t nsec, uint32_t caplen,
                        uint32_t len, const uint8_t *data);

#endif
