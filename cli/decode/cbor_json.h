/* CBOR (RFC 8949) payloads shown as JSON: one CBOR data item, converted by
 * libcbor's streaming decoder (no allocation, no tree) into JSON text.
 *
 * Mapping: integers as JSON numbers (negative integers below -2^63 too, as
 * their exact decimal); byte strings as hex strings; text strings as
 * strings (ill-formed UTF-8 replaced); floats (half, single, double) as the
 * shortest decimal that reads back, NaN and infinities as strings; true,
 * false, null; undefined as null; tags dropped (their content shown);
 * arrays and maps as arrays and objects. Map keys must be definite-length
 * text strings (well-formed UTF-8 without NUL) or integers (an integer key
 * becomes its decimal string), and a map must not repeat a key (RFC 8949
 * s5.6: not valid), so the JSON never has duplicate members. Anything else is refused with a reason:
 * malformed or truncated CBOR, bytes after the item, nesting deeper than
 * CBOR_JSON_MAX_DEPTH, more than CBOR_JSON_MAX_KEYS keys open at once.
 */
#ifndef MQD_CLI_DECODE_CBOR_JSON_H
#define MQD_CLI_DECODE_CBOR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/json_tree.h"
#include "util/json_writer.h"

#define CBOR_JSON_MAX_DEPTH JSON_TREE_MAX_DEPTH
#define CBOR_JSON_MAX_KEYS JSON_TREE_MAX_KEYS

/* The converter's working memory (about 40 KiB: nesting and the keys of the
 * open maps), owned by its caller (a printer) and reused for every payload;
 * NULL when out of memory. */
struct cbor_json;
struct cbor_json *cbor_json_new(void);
void cbor_json_free(struct cbor_json *cj);

/* Writes data[0..len) as one JSON value to w, using tmp (an in-memory
 * obuf) for indefinite-length strings. On failure returns false with a
 * static reason in *why; what was written to w must then be discarded
 * (write into a scratch buffer first). */
bool cbor_to_json(struct cbor_json *cj, struct json_writer *w, struct obuf *tmp,
                  const uint8_t *data, size_t len, const char **why);

#endif
