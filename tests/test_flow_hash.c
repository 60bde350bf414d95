/* The symmetric flow hash behind --shard (cli/net/flow_hash.c): the same
 * for both directions, different for a different port, address or
 * protocol, and spread evenly over shards. A fixed value pins it: shards
 * must agree between builds and machines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/flow_hash.h"

static struct pkt_endpoint v4(uint32_t addr, uint16_t port)
{
    struct pkt_endpoint ep = {.family = PKT_AF_INET, .port = port};
    ep.addr[0] = (uint8_t)(addr >> 24);
    ep.addr[1] = (uint8_t)(addr >> 16);
    ep.addr[2] = (uint8_t)(addr >> 8);
    ep.addr[3] = (uint8_t)addr;
    return ep;
}

static void symmetric(void **state)
{
    (void)state;
    struct pkt_endpoint a = v4(0x0a000001, 40000), b = v4(0x0a0000fe, 1883);
    assert_int_equal(flow_hash_symmetric(6, &a, &b), flow_hash_symmetric(6, &b, &a));
    struct pkt_endpoint c = v4(0x0a000001, 40001);
    assert_int_not_equal(flow_hash_symmetric(6, &a, &b), flow_hash_symmetric(6, &c, &b));
    assert_int_not_equal(flow_hash_symmetric(6, &a, &b), flow_hash_symmetric(17, &a, &b));
    /* same address, ports swapped between the two sides */
    struct pkt_endpoint x = v4(0x7f000001, 1883), y = v4(0x7f000001, 50000);
    assert_int_equal(flow_hash_symmetric(6, &x, &y), flow_hash_symmetric(6, &y, &x));
    struct pkt_endpoint v6a = {.family = PKT_AF_INET6, .port = 1883};
    struct pkt_endpoint v6b = {.family = PKT_AF_INET6, .port = 5000};
    v6a.addr[15] = 1;
    v6b.addr[0] = 0x20;
    v6b.addr[15] = 9;
    assert_int_equal(flow_hash_symmetric(6, &v6a, &v6b), flow_hash_symmetric(6, &v6b, &v6a));
}

static void stable(void **state)
{
    (void)state;
    struct pkt_endpoint a = v4(0xc0a80001, 1883), b = v4(0xc0a80002, 51234);
    assert_int_equal(flow_hash_symmetric(6, &a, &b), 0x1038f75c69a699f5ull);
}

/* Client ports 1024..(1024 + 30000) to one broker: each of 3 and of 7
 * shards gets its share within 5%. */
static void even(void **state)
{
    (void)state;
    enum { FLOWS = 30000 };
    unsigned n3[3] = {0}, n7[7] = {0};
    struct pkt_endpoint broker = v4(0x0a0000fe, 1883);
    for (unsigned i = 0; i < FLOWS; i++) {
        struct pkt_endpoint c = v4(0x0a000001 + (i & 15), (uint16_t)(1024 + i));
        uint64_t h = flow_hash_symmetric(6, &c, &broker);
        unsigned in3 = 0;
        for (unsigned k = 1; k <= 3; k++)
            if (flow_hash_in_shard(h, k, 3)) {
                n3[k - 1]++;
                in3++;
            }
        assert_int_equal(in3, 1);
        n7[h % 7]++;
        assert_true(flow_hash_in_shard(h, 1, 1));
    }
    for (unsigned k = 0; k < 3; k++)
        assert_true(n3[k] > FLOWS / 3 * 95 / 100 && n3[k] < FLOWS / 3 * 105 / 100);
    for (unsigned k = 0; k < 7; k++)
        assert_true(n7[k] > FLOWS / 7 * 95 / 100 && n7[k] < FLOWS / 7 * 105 / 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(symmetric),
        cmocka_unit_test(stable),
        cmocka_unit_test(even),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
