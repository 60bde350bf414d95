/* Splits IP packets built by pktgen (link type PKTGEN_LINKTYPE_RAW) into
 * fragments, for tests of net/ipfrag.c. */
#ifndef MQD_TEST_FRAGMENT_H
#define MQD_TEST_FRAGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One fragment of the IPv4 or IPv6 packet pkt[0..len) (no extension
 * headers): the upper-layer bytes [off, off + n), `more` fragments
 * following, identification `id`. Written to out; returns its length (0 if
 * it does not fit out[cap]). IPv4: total length, flags/offset and header
 * checksum set; IPv6: a Fragment header inserted. */
size_t fragment_ip(const uint8_t *pkt, size_t len, size_t off, size_t n,
                   bool more, uint32_t id, uint8_t *out, size_t cap);

#endif
