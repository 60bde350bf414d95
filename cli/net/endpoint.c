/* Endpoints as text, and capture timestamps in microseconds. See endpoint.h. */
#include "net/endpoint.h"

#include <arpa/inet.h>
#include <stdio.h>

/* pcapng can say year 292 billion: out-of-range seconds saturate rather
 * than overflow. */
int64_t pkt_timestamp_us(const struct timeval *tv)
{
    const int64_t limit = INT64_MAX / 2000000; /* half the range: room for sums */
    int64_t sec = (int64_t)tv->tv_sec;
    if (sec > limit)
        sec = limit;
    else if (sec < -limit)
        sec = -limit;
    return sec * 1000000 + (int64_t)tv->tv_usec % 1000000;
}

void pkt_endpoint_format(const struct pkt_endpoint *ep, char *buf, size_t len)
{
    char addr[INET6_ADDRSTRLEN];
    if (ep->family == PKT_AF_INET6) {
        inet_ntop(AF_INET6, ep->addr, addr, sizeof addr);
        snprintf(buf, len, "[%s]:%u", addr, (unsigned)ep->port);
    } else {
        inet_ntop(AF_INET, ep->addr, addr, sizeof addr);
        snprintf(buf, len, "%s:%u", addr, (unsigned)ep->port);
    }
}
