/* Checks on what the printers write, shared by the printers and pipeline
 * targets: JSON Lines must be valid UTF-8 and parse with jansson (objects, no
 * duplicate keys, frames carry "type" and "violations"); text must be valid
 * UTF-8 without control characters but newline and tab (colour is off). */
#ifndef MQD_FUZZ_OUTPUT_CHECKS_H
#define MQD_FUZZ_OUTPUT_CHECKS_H

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "targets.h"
#include "utf8_strict.h"

static inline void check_json_line(const char *line, size_t len)
{
    FUZZ_CHECK(utf8_strict_valid((const uint8_t *)line, len),
               "JSON line is not valid UTF-8");
    json_error_t err;
    /* integers as reals: a decoded payload may hold uint64 values */
    json_t *v = json_loadb(line, len,
                           JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
                           &err);
    if (!v)
        fprintf(stderr, "jansson: %s (line %d col %d)\n%.*s\n", err.text,
                err.line, err.column, (int)len, line);
    FUZZ_CHECK(v != NULL, "JSON line does not parse with jansson");
    FUZZ_CHECK(json_is_object(v), "JSON line is not an object");
    if (!json_object_get(v, "event")) {
        FUZZ_CHECK(json_object_get(v, "type") != NULL, "JSON frame without type");
        FUZZ_CHECK(json_is_array(json_object_get(v, "violations")),
                   "JSON frame without violations array");
    }
    json_decref(v);
}

static inline void check_json_text(const char *buf, size_t len)
{
    FUZZ_CHECK(len == 0 || buf[len - 1] == '\n', "JSON output not line-ended");
    FUZZ_CHECK(memchr(buf, '\0', len) == NULL, "NUL byte in JSON output");
    size_t start = 0;
    while (start < len) {
        size_t end = start;
        while (end < len && buf[end] != '\n')
            end++;
        check_json_line(buf + start, end - start);
        start = end + 1;
    }
}

/* EVE (-T eve): every line a JSON object with Suricata's common keys. A
 * repeated MQTT 5.0 property repeats its member, as Suricata writes it, so
 * duplicate keys are allowed here. */
static inline void check_eve_line(const char *line, size_t len)
{
    FUZZ_CHECK(utf8_strict_valid((const uint8_t *)line, len),
               "EVE line is not valid UTF-8");
    json_error_t err;
    json_t *v = json_loadb(line, len, JSON_ALLOW_NUL, &err);
    if (!v)
        fprintf(stderr, "jansson: %s (line %d col %d)\n%.*s\n", err.text,
                err.line, err.column, (int)len, line);
    FUZZ_CHECK(v != NULL, "EVE line does not parse with jansson");
    FUZZ_CHECK(json_is_object(v), "EVE line is not an object");
    FUZZ_CHECK(json_is_string(json_object_get(v, "timestamp")), "EVE line without timestamp");
    FUZZ_CHECK(json_is_integer(json_object_get(v, "flow_id")), "EVE line without flow_id");
    const char *et = json_string_value(json_object_get(v, "event_type"));
    FUZZ_CHECK(et != NULL, "EVE line without event_type");
    FUZZ_CHECK(strcmp(et, "mqtt") == 0 ? json_is_object(json_object_get(v, "mqtt"))
                                       : json_is_object(json_object_get(v, "anomaly")),
               "EVE line without its event_type's object");
    json_decref(v);
}

static inline void check_eve_text(const char *buf, size_t len)
{
    FUZZ_CHECK(len == 0 || buf[len - 1] == '\n', "EVE output not line-ended");
    FUZZ_CHECK(memchr(buf, '\0', len) == NULL, "NUL byte in EVE output");
    size_t start = 0;
    while (start < len) {
        size_t end = start;
        while (end < len && buf[end] != '\n')
            end++;
        check_eve_line(buf + start, end - start);
        start = end + 1;
    }
}

static inline void check_text(const char *buf, size_t len)
{
    FUZZ_CHECK(utf8_strict_valid((const uint8_t *)buf, len),
               "text output is not valid UTF-8");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        FUZZ_CHECK(c >= 0x20 || c == '\n' || c == '\t',
                   "control character in text output (colour off)");
        FUZZ_CHECK(c != 0x7f, "DEL in text output");
    }
}

#endif
