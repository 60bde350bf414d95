/* mqttdissect: UTF-8 as MQTT defines it (MQTT 5.0 s1.5.4, MQTT 3.1.1
 * s1.5.3), and plain UTF-8 well-formedness (RFC 3629 s4, Unicode table 3-7)
 * for programs that show what they decode. */
#ifndef MQTTDISSECT_UTF8_H
#define MQTTDISSECT_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the MQTT check --------------------------------------------------------- */

enum mqd_utf8_status {
    MQD_UTF8_OK = 0,
    MQD_UTF8_ILL_FORMED,   /* not well-formed UTF-8 (overlong, bad continuation, > U+10FFFF, cut) */
    MQD_UTF8_SURROGATE,    /* encodes U+D800..U+DFFF */
    MQD_UTF8_NUL,          /* contains U+0000 */
    MQD_UTF8_DISCOURAGED   /* well-formed, but has control characters or non-characters */
};

/* Checks s[0..len). Returns the first problem found (worst first is not
 * promised: the first by position) and, when not OK, sets *bad_off to the
 * offset of the offending sequence within s. */
int mqd_utf8_check(const uint8_t *s, size_t len, size_t *bad_off);

/* ---- well-formedness only ---------------------------------------------------
 * What a printer needs to show bytes as text: these accept every
 * well-formed sequence, U+0000, control characters and non-characters
 * included (those are MQTT rules, for mqd_utf8_check). Well-formed means
 * Unicode table 3-7: no overlong forms, no surrogates, nothing above
 * U+10FFFF. */

/* Outcome of mqd_utf8_scan. */
enum mqd_utf8_seq {
    MQD_UTF8_SEQ_OK,  /* a well-formed sequence of *len bytes */
    MQD_UTF8_SEQ_BAD, /* an ill-formed subpart of *len bytes (to replace by
                         one U+FFFD, as Unicode 15 s3.9 "maximal subpart"
                         advises) */
    MQD_UTF8_SEQ_CUT  /* *len bytes that are well-formed so far but end at n */
};

/* Looks at the one sequence starting at s[0] of s[0..n), n >= 1, and sets
 * *len (1..4, at most n) to its length. Returns enum mqd_utf8_seq. */
int mqd_utf8_scan(const uint8_t *s, size_t n, size_t *len);

/* Bytes of the longest prefix of s[0..n) made only of well-formed
 * sequences (n when all of it is). *cut (may be NULL) is set to whether what
 * stops it is a sequence cut by the end of the input, as opposed to an
 * ill-formed one or nothing. Runs of ASCII are skipped many bytes a step. */
size_t mqd_utf8_valid_prefix(const uint8_t *s, size_t n, bool *cut);

/* True when s[0..n) is entirely well-formed UTF-8. */
static inline bool mqd_utf8_valid(const uint8_t *s, size_t n)
{
    return mqd_utf8_valid_prefix(s, n, NULL) == n;
}

/* The code point of a well-formed sequence s[0..len) as mqd_utf8_scan
 * found it (MQD_UTF8_SEQ_OK); U+FFFD for a len outside 1..4. */
static inline uint32_t mqd_utf8_decode(const uint8_t *s, size_t len)
{
    switch (len) {
    case 1:
        return s[0];
    case 2:
        return (uint32_t)(s[0] & 0x1Fu) << 6 | (uint32_t)(s[1] & 0x3Fu);
    case 3:
        return (uint32_t)(s[0] & 0x0Fu) << 12 | (uint32_t)(s[1] & 0x3Fu) << 6 |
               (uint32_t)(s[2] & 0x3Fu);
    case 4:
        return (uint32_t)(s[0] & 0x07u) << 18 | (uint32_t)(s[1] & 0x3Fu) << 12 |
               (uint32_t)(s[2] & 0x3Fu) << 6 | (uint32_t)(s[3] & 0x3Fu);
    default:
        return 0xFFFD;
    }
}

#ifdef __cplusplus
}
#endif

#endif
