/* tcp_payload: the two TCP byte streams of the first connection in a
 * capture (Ethernet, IPv4), in capture order, for tests that feed a
 * transport layer (TLS decryption) with real bytes. Segments are kept in
 * order with retransmitted bytes dropped by sequence number; the captures
 * it is meant for (captures/tls/, recorded on loopback) have no reordering.
 */
#ifndef MQD_TEST_TCP_PAYLOAD_H
#define MQD_TEST_TCP_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

struct tcp_seg {
    int dir;    /* 0: from the side that sent the SYN */
    size_t off; /* into data[dir] */
    size_t len;
};

struct tcp_payload {
    uint8_t *data[2];
    size_t len[2];
    struct tcp_seg *segs;
    size_t nsegs;
};

/* The first connection (with a SYN) of the file: 0 on success, -1 when the
 * file cannot be read or holds no connection. */
int tcp_payload_load(const char *path, struct tcp_payload *tp);
/* The same for the connection whose SYN is the nth (0: the first). */
int tcp_payload_load_nth(const char *path, unsigned nth, struct tcp_payload *tp);
void tcp_payload_free(struct tcp_payload *tp);

#endif
