/* Text for the transport layers' small types. */
#include "packet.h"

#include <arpa/inet.h>
#include <stdio.h>

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
