/* Tests for the text printer (cli/out_text.c, cli/out_text_tree.c): exact
 * summary lines for every packet type, the -V tree for a PUBLISH with
 * properties and a CONNECT, redaction, escaping, colour and events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mqttdissect/utf8.h"
#include "mqttdissect/mqd.h"
#include "output/output.h"
#include "hexvec.h"

static const struct msg_meta test_meta = {
    .frame = 12,
    .ts_us = 1795549485123456,
    .src = "127.0.0.1:51234",
    .dst = "[::1]:1883",
    .conn = 3,
    .transport = "tcp",
    .stream_off = 42,
};

#define PREFIX "12 19:44:45.123456 127.0.0.1:51234 \xE2\x86\x92 [::1]:1883 "

/* Renders the frame in hex as text; returns the output (caller frees). */
static char *render(const char *hex, uint8_t version,
                    const struct output_opts *base)
{
    uint8_t buf[512];
    mqd_frame f;
    size_t n = hexvec_decode(hex, buf, sizeof buf);
    mqd_result r = mqd_parse(buf, n, version, &f);
    assert_int_equal(r.status, MQD_OK);
    char *mem = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&mem, &len);
    assert_non_null(out);
    struct output_opts o = *base;
    o.out = out;
    struct output *t = output_open(OUTPUT_TEXT, &o);
    assert_non_null(t);
    output_frame(t, &test_meta, &f);
    assert_int_equal(output_close(t), 0);
    fclose(out);
    assert_true(mqd_utf8_valid((const uint8_t *)mem, len));
    return mem;
}

static const struct output_opts plain = {0};

static void check_line(const char *hex, uint8_t version, const char *want)
{
    char *s = render(hex, version, &plain);
    assert_string_equal(s, want);
    free(s);
}

static void test_summary_lines(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        uint8_t version;
        const char *want;
    } cases[] = {
        {"10 1b 00 04 4d 51 54 54 04 c2 00 3c 00 03 61 62 63 00 04 75 73 65"
         " 72 00 04 70 61 73 73", 0,
         PREFIX "v4 CONNECT client_id=\"abc\" keep_alive=60 clean_start=1"
                " username=\"user\" password=<redacted>\n"},
        {"10 15 00 04 4d 51 54 54 04 2e 00 3c 00 01 63 00 01 77 00 03 62 79"
         " 65", 0,
         PREFIX "v4 CONNECT client_id=\"c\" keep_alive=60 clean_start=1"
                " will_topic=\"w\" will_qos=1 will_retain=1\n"},
        {"20 02 01 00", 4,
         PREFIX "v4 CONNACK session_present=1 rc=0x00(Connection Accepted)\n"},
        {"20 03 00 87 00", 5,
         PREFIX "v5 CONNACK session_present=0 rc=0x87(Not authorized)\n"},
        {"32 0e 00 05 68 65 6c 6c 6f 00 07 77 6f 72 6c 64", 4,
         PREFIX "v4 PUBLISH qos=1 id=7 topic=\"hello\" payload=5B \"world\"\n"},
        {"31 09 00 03 61 2f 62 00 01 02 ff", 4,
         PREFIX "v4 PUBLISH qos=0 retain=1 topic=\"a/b\" payload=4B 0x000102ff\n"},
        {"40 02 00 07", 4, PREFIX "v4 PUBACK id=7\n"},
        {"40 03 00 07 10", 5,
         PREFIX "v5 PUBACK id=7 rc=0x10(No matching subscribers)\n"},
        {"50 02 00 07", 4, PREFIX "v4 PUBREC id=7\n"},
        {"62 02 00 07", 4, PREFIX "v4 PUBREL id=7\n"},
        {"70 02 00 07", 4, PREFIX "v4 PUBCOMP id=7\n"},
        {"82 0c 00 01 00 03 61 2f 62 01 00 01 63 00", 4,
         PREFIX "v4 SUBSCRIBE id=1 filters=\"a/b\":1,\"c\":0\n"},
        {"90 04 00 01 00 80", 4, PREFIX "v4 SUBACK id=1 codes=0x00,0x80\n"},
        {"a2 05 00 02 00 01 61", 4, PREFIX "v4 UNSUBSCRIBE id=2 filters=\"a\"\n"},
        {"b0 02 00 02", 4, PREFIX "v4 UNSUBACK id=2\n"},
        {"c0 00", 4, PREFIX "v4 PINGREQ\n"},
        {"d0 00", 4, PREFIX "v4 PINGRESP\n"},
        {"e0 00", 4, PREFIX "v4 DISCONNECT\n"},
        {"e0 02 04 00", 5,
         PREFIX "v5 DISCONNECT rc=0x04(Disconnect with Will Message)\n"},
        {"30 07 00 02 c0 af ff fe 80", 4,
         PREFIX "v4 PUBLISH qos=0 topic=\"\\xc0\\xaf\" payload=3B 0xfffe80"
                " [1 violation: MQTT-1.5.4-1]\n"},
        {"3e 05 00 01 23 00 00", 4,
         PREFIX "v4 PUBLISH qos=3 dup=1 id=0 topic=\"#\" payload=0B"
                " [3 violations: MQTT-3.3.1-4 MQTT-3.3.2-2 MQTT-2.2.1-3]\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_line(cases[i].hex, cases[i].version, cases[i].want);
}

static void test_escaping(void **state)
{
    (void)state;
    /* Topic with a quote, newline, ESC and a valid "é"; payload with a C1
     * control (U+0085) and a bidi override (U+202E). */
    check_line("30 11 00 06 22 0a 1b c3 a9 5c c2 85 e2 80 ae 41 42 43 44", 4,
               PREFIX "v4 PUBLISH qos=0 topic=\"\\\"\\n\\x1b\xC3\xA9\\\\\""
                      " payload=9B \"\\u{85}\\u{202e}ABCD\""
                      " [1 violation: MQD-1.5.4-discouraged]\n");
    /* Long text payloads are cut on the summary line, not inside a
     * character. */
    char hex[512] = "30 26 00 01 74";
    for (int i = 0; i < 31; i++)
        strcat(hex, " 61");
    strcat(hex, " c3 a9 62 62");
    check_line(hex, 4,
               PREFIX "v4 PUBLISH qos=0 topic=\"t\" payload=35B "
                      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\xE2\x80\xA6\n");
}

static const char publish_v5_props[] =
    "32 1e 00 01 74 00 01 16 23 00 05 26 00 01 6b 00 01 76 09 00 02 ab cd"
    " 03 00 04 74 65 78 74 68 69";

static void test_tree_publish_v5(void **state)
{
    (void)state;
    struct output_opts o = {.verbose = true};
    char *s = render(publish_v5_props, 5, &o);
    assert_string_equal(s,
        PREFIX "v5 PUBLISH qos=1 id=1 topic=\"t\" payload=2B \"hi\" props=4\n"
        "  0000: 32                       0011 .... = type 3 PUBLISH\n"
        "                                 .... 0... = DUP 0\n"
        "                                 .... .01. = QoS 1\n"
        "                                 .... ...0 = RETAIN 0\n"
        "  0001: 1e                       remaining length 30 (1 byte, minimal)\n"
        "  0002: 00 01 74                 topic \"t\" (1 byte)\n"
        "  0005: 00 01                    packet id 1\n"
        "  0007: 16                       properties length 22\n"
        "  0008: 23 00 05                 Topic Alias (0x23) = 5\n"
        "  000b: 26 00 01 6b 00 01 76     User Property (0x26) = \"k\": \"v\"\n"
        "  0012: 09 00 02 ab cd           Correlation Data (0x09) = 2 bytes 0xabcd\n"
        "  0017: 03 00 04 74 65 78 74     Content Type (0x03) = \"text\"\n"
        "  001e: 68 69                    payload 2 bytes, UTF-8\n"
        "                                 \"hi\"\n");
    free(s);
}

static const char connect_v311[] =
    "10 1b 00 04 4d 51 54 54 04 c2 00 3c 00 03 61 62 63 00 04 75 73 65 72"
    " 00 04 70 61 73 73";

static void test_tree_connect(void **state)
{
    (void)state;
    struct output_opts o = {.verbose = true};
    char *s = render(connect_v311, 0, &o);
    assert_string_equal(s,
        PREFIX "v4 CONNECT client_id=\"abc\" keep_alive=60 clean_start=1"
               " username=\"user\" password=<redacted>\n"
        "  0000: 10                       0001 .... = type 1 CONNECT\n"
        "                                 .... 0000 = flags 0\n"
        "  0001: 1b                       remaining length 27 (1 byte, minimal)\n"
        "  0002: 00 04 4d 51 54 54        protocol name \"MQTT\" (4 bytes)\n"
        "  0008: 04                       protocol level 4 (3.1.1)\n"
        "  0009: c2                       connect flags 0xc2\n"
        "                                 1... .... = User Name 1\n"
        "                                 .1.. .... = Password 1\n"
        "                                 ..0. .... = Will Retain 0\n"
        "                                 ...0 0... = Will QoS 0\n"
        "                                 .... .0.. = Will Flag 0\n"
        "                                 .... ..1. = Clean Session 1\n"
        "                                 .... ...0 = Reserved 0\n"
        "  000a: 00 3c                    keep alive 60\n"
        "  000c: 00 03 61 62 63           client id \"abc\" (3 bytes)\n"
        "  0011: 00 04 75 73 65 72        user name \"user\" (4 bytes)\n"
        "  0017: 00 04                    password <redacted> (4 bytes)\n");
    free(s);

    /* Shown only on request. */
    o.show_secrets = true;
    s = render(connect_v311, 0, &o);
    assert_non_null(strstr(s, " password=0x70617373\n"));
    assert_non_null(strstr(s, "  0017: 00 04 70 61 73 73        password "
                              "0x70617373 (4 bytes)\n"));
    free(s);
}

static void test_tree_binary_payload_and_violations(void **state)
{
    (void)state;
    char hex[600] = "31 49 00 01 74";
    for (int i = 0; i < 70; i++) {
        char b[4];
        snprintf(b, sizeof b, " %02x", (unsigned)(i * 37 % 256));
        strcat(hex, b);
    }
    struct output_opts o = {.verbose = true};
    char *s = render(hex, 4, &o);
    assert_non_null(strstr(s, "payload=70B 0x00254a6f94b9de03284d7297bce1062b"
                              "\xE2\x80\xA6\n"));
    assert_non_null(strstr(s, "  0005:                          payload 70 "
                              "bytes, binary\n"
                              "  0005: 00 25 4a 6f 94 b9 de 03 28 4d 72 97 bc"
                              " e1 06 2b  |.%Jo....(Mr....+|\n"));
    assert_non_null(strstr(s, "\xE2\x80\xA6 6 more bytes\n"));
    free(s);

    s = render("3e 05 00 01 23 00 00", 4, &o);
    assert_non_null(strstr(s, "  0000:                          ! MQTT-3.3.1-4"
                              " error: PUBLISH has both QoS bits set (QoS 3)"
                              " (value 3)\n"));
    assert_non_null(strstr(s, "                                 .... .11. = QoS 3\n"));
    free(s);

    /* A raw byte column longer than 8 bytes is cut with "…". */
    s = render("30 0e 00 0c 61 62 63 64 65 66 67 68 69 6a 6b 6c", 4, &o);
    assert_non_null(strstr(s, "  0002: 00 0c 61 62 63 64 65 \xE2\x80\xA6   "
                              "topic \"abcdefghijkl\" (12 bytes)\n"));
    free(s);
}

static void test_tree_subscribe_v5(void **state)
{
    (void)state;
    struct output_opts o = {.verbose = true};
    char *s = render("82 07 00 01 00 00 01 61 2d", 5, &o);
    assert_string_equal(s,
        PREFIX "v5 SUBSCRIBE id=1 filters=\"a\":1\n"
        "  0000: 82                       1000 .... = type 8 SUBSCRIBE\n"
        "                                 .... 0010 = flags 2\n"
        "  0001: 07                       remaining length 7 (1 byte, minimal)\n"
        "  0002: 00 01                    packet id 1\n"
        "  0004: 00                       properties length 0\n"
        "  0005: 00 01 61                 topic filter \"a\" (1 byte)\n"
        "  0008: 2d                       subscription options 0x2d\n"
        "                                 00.. .... = Reserved 0\n"
        "                                 ..10 .... = Retain Handling 2\n"
        "                                 .... 1... = Retain As Published 1\n"
        "                                 .... .1.. = No Local 1\n"
        "                                 .... ..01 = QoS 1\n");
    free(s);
}

static void test_colour(void **state)
{
    (void)state;
    char *s = render("3e 05 00 01 23 00 00", 4, &plain);
    assert_null(strchr(s, '\x1b'));
    free(s);
    struct output_opts o = {.color = true, .verbose = true};
    s = render("3e 05 00 01 23 00 00", 4, &o);
    assert_non_null(strstr(s, "\x1b[1mPUBLISH\x1b[0m"));
    assert_non_null(strstr(s, "\x1b[31m"));
    free(s);
}

static void test_events(void **state)
{
    (void)state;
    char *mem = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&mem, &len);
    struct output_opts o = {.out = out};
    struct output *t = output_open(OUTPUT_TEXT, &o);
    output_event_begin(t, &test_meta, "gap");
    output_event_u64(t, "missing", 1234);
    output_event_str(t, "reason", "lost \"x\"\n");
    output_event_bool(t, "resync", true);
    output_event_end(t);
    assert_int_equal(output_flush(t), 0);
    assert_int_equal(output_close(t), 0);
    fclose(out);
    assert_string_equal(mem, PREFIX "EVENT gap missing=1234"
                                    " reason=\"lost \\\"x\\\"\\n\" resync=true\n");
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_lines),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_tree_publish_v5),
        cmocka_unit_test(test_tree_connect),
        cmocka_unit_test(test_tree_binary_payload_and_violations),
        cmocka_unit_test(test_tree_subscribe_v5),
        cmocka_unit_test(test_colour),
        cmocka_unit_test(test_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
