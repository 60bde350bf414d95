/* Endpoints and packets as net/ reports them to the layers above: a
 * transport endpoint (address family, address, port) with its text form,
 * and the packet reference (frame number, capture time) every callback
 * carries. Shared by capture, IP, the flow table and everything above. */
#ifndef MQD_CLI_ENDPOINT_H
#define MQD_CLI_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

/* The packet that caused a callback: its 1-based frame number in the capture
 * and its timestamp in microseconds since the epoch. For data delivered late
 * (out of order), it is the packet that filled the hole. */
struct pkt_info {
    uint64_t frame;
    int64_t ts_us;
};

/* Address families as the transport layers report them. */
enum { PKT_AF_INET = 4, PKT_AF_INET6 = 6 };

/* One transport endpoint: family PKT_AF_INET (address in addr[0..3]) or
 * PKT_AF_INET6 (addr[0..15]); the unused bytes are zero. Port in host order. */
struct pkt_endpoint {
    uint8_t family;
    uint8_t addr[16];
    uint16_t port;
};

/* Microseconds since the epoch of a capture timestamp, saturated: a capture
 * file may claim any time at all (endpoint.c). */
int64_t pkt_timestamp_us(const struct timeval *tv);

/* "a.b.c.d:port", or "[v6 address]:port" (endpoint.c). */
void pkt_endpoint_format(const struct pkt_endpoint *ep, char *buf, size_t len);

#endif
