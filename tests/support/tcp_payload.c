/* See tcp_payload.h. */
#include "tcp_payload.h"

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/wire.h"

struct conn {
    unsigned skip; /* SYNs of earlier connections still to pass over */
    bool known;
    uint8_t client_addr[4];
    uint16_t client_port, server_port;
    bool seq_known[2];
    uint32_t next_seq[2];
};

static int append(struct tcp_payload *tp, int dir, const uint8_t *p, size_t n)
{
    uint8_t *d = realloc(tp->data[dir], tp->len[dir] + n);
    struct tcp_seg *s = realloc(tp->segs, (tp->nsegs + 1) * sizeof *s);
    if (d)
        tp->data[dir] = d;
    if (s)
        tp->segs = s;
    if (!d || !s)
        return -1;
    memcpy(d + tp->len[dir], p, n);
    s[tp->nsegs].dir = dir;
    s[tp->nsegs].off = tp->len[dir];
    s[tp->nsegs].len = n;
    tp->nsegs++;
    tp->len[dir] += n;
    return 0;
}

/* One Ethernet frame: IPv4, TCP of the first connection. */
static int frame(struct tcp_payload *tp, struct conn *c, const uint8_t *p,
                 size_t caplen)
{
    struct wire w = wire_make(p, caplen);
    uint16_t ethertype, total, sport, dport;
    uint8_t vihl, proto, off_flags, flags, src[4];
    uint32_t seq;
    if (!wire_skip(&w, 12) || !wire_be16(&w, &ethertype) || ethertype != 0x0800)
        return 0;
    size_t ip_start = w.pos;
    if (!wire_u8(&w, &vihl) || !wire_skip(&w, 1) || !wire_be16(&w, &total) ||
        !wire_skip(&w, 5) || !wire_u8(&w, &proto) || !wire_skip(&w, 2) ||
        !wire_bytes(&w, src, 4) || proto != 6)
        return 0;
    size_t ip_end = ip_start + total;
    w.pos = ip_start + (size_t)(vihl & 0x0F) * 4;
    size_t tcp_start = w.pos;
    if (!wire_be16(&w, &sport) || !wire_be16(&w, &dport) ||
        !wire_be32(&w, &seq) || !wire_skip(&w, 4) || !wire_u8(&w, &off_flags) ||
        !wire_u8(&w, &flags) || ip_end > caplen)
        return 0;
    if (!c->known) {
        if (!(flags & 0x02) || (flags & 0x10))
            return 0; /* wait for the client's SYN */
        if (c->skip > 0) {
            c->skip--;
            return 0;
        }
        c->known = true;
        memcpy(c->client_addr, src, 4);
        c->client_port = sport;
        c->server_port = dport;
    }
    int dir;
    if (sport == c->client_port && dport == c->server_port &&
        memcmp(src, c->client_addr, 4) == 0)
        dir = 0;
    else if (sport == c->server_port && dport == c->client_port)
        dir = 1;
    else
        return 0;
    size_t data_start = tcp_start + (size_t)(off_flags >> 4) * 4;
    if (flags & 0x02) { /* SYN: data starts at seq + 1 */
        c->seq_known[dir] = true;
        c->next_seq[dir] = seq + 1;
        return 0;
    }
    if (data_start >= ip_end || !c->seq_known[dir])
        return 0;
    size_t n = ip_end - data_start;
    uint32_t skip = c->next_seq[dir] - seq; /* bytes already had */
    if ((int32_t)skip < 0)
        return -1; /* a hole: not for these captures */
    if (skip >= n)
        return 0;
    c->next_seq[dir] = seq + (uint32_t)n;
    return append(tp, dir, p + data_start + skip, n - skip);
}

int tcp_payload_load(const char *path, struct tcp_payload *tp)
{
    return tcp_payload_load_nth(path, 0, tp);
}

int tcp_payload_load_nth(const char *path, unsigned nth, struct tcp_payload *tp)
{
    char err[PCAP_ERRBUF_SIZE];
    memset(tp, 0, sizeof *tp);
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc)
        return -1;
    int rc = pcap_datalink(pc) == DLT_EN10MB ? 0 : -1;
    struct conn c;
    memset(&c, 0, sizeof c);
    c.skip = nth;
    struct pcap_pkthdr *h;
    const u_char *p;
    while (rc == 0 && pcap_next_ex(pc, &h, &p) == 1)
        rc = frame(tp, &c, p, h->caplen);
    pcap_close(pc);
    if (rc == 0 && tp->nsegs == 0)
        rc = -1;
    if (rc != 0)
        tcp_payload_free(tp);
    return rc;
}

void tcp_payload_free(struct tcp_payload *tp)
{
    free(tp->data[0]);
    free(tp->data[1]);
    free(tp->segs);
    memset(tp, 0, sizeof *tp);
}
