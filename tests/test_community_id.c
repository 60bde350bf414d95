/* The Community ID of a flow (cli/net/community_id.c) against the
 * specification's published examples, in both directions and with two
 * seeds. IPv6 and every bundled capture are checked against tshark's
 * communityid dissector by tests/community_id.test.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/community_id.h"

static struct pkt_endpoint v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
    struct pkt_endpoint ep = {.family = PKT_AF_INET, .port = port};
    ep.addr[0] = a;
    ep.addr[1] = b;
    ep.addr[2] = c;
    ep.addr[3] = d;
    return ep;
}

static void check(uint16_t seed, uint8_t proto, struct pkt_endpoint a,
                  struct pkt_endpoint b, const char *want)
{
    char got[COMMUNITY_ID_SIZE];
    community_id_v1(seed, proto, &a, &b, got);
    assert_string_equal(got, want);
    community_id_v1(seed, proto, &b, &a, got); /* the reverse direction */
    assert_string_equal(got, want);
}

static void test_published_examples(void **state)
{
    (void)state;
    struct pkt_endpoint a = v4(1, 2, 3, 4, 1122), b = v4(5, 6, 7, 8, 3344);
    check(0, COMMUNITY_ID_TCP, a, b, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
    check(0, COMMUNITY_ID_UDP, a, b, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
    check(1, COMMUNITY_ID_TCP, a, b, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
    check(1, COMMUNITY_ID_UDP, a, b, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=");
    check(0, COMMUNITY_ID_TCP, v4(192, 168, 0, 1, 12345), v4(10, 0, 0, 5, 80),
          "1:JHvDxB6S6/K68OntUBf4DJZYvkM=");
}

/* Equal addresses: the smaller port first. */
static void test_same_address_orders_by_port(void **state)
{
    (void)state;
    char x[COMMUNITY_ID_SIZE], y[COMMUNITY_ID_SIZE];
    struct pkt_endpoint a = v4(127, 0, 0, 1, 50000), b = v4(127, 0, 0, 1, 1883);
    community_id_v1(0, COMMUNITY_ID_TCP, &a, &b, x);
    community_id_v1(0, COMMUNITY_ID_TCP, &b, &a, y);
    assert_string_equal(x, y);
    assert_int_equal(strlen(x), COMMUNITY_ID_SIZE - 1);
}

static void test_mixed_families_give_nothing(void **state)
{
    (void)state;
    char out[COMMUNITY_ID_SIZE];
    struct pkt_endpoint a = v4(1, 2, 3, 4, 1), b = {.family = PKT_AF_INET6, .port = 2};
    community_id_v1(0, COMMUNITY_ID_TCP, &a, &b, out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_examples),
        cmocka_unit_test(test_same_address_orders_by_port),
        cmocka_unit_test(test_mixed_families_give_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
