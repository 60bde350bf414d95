/* MessagePack payloads shown as JSON: one MessagePack object (the format
 * as github.com/msgpack/msgpack/blob/master/spec.md defines it) read by a
 * small bounded reader over the payload's bytes and written as JSON text.
 * Nothing is allocated per payload: the reader walks the bytes once with
 * a fixed stack of open containers.
 *
 * Why not msgpack-c (Debian's libmsgpack-dev): its unpacker builds a tree
 * in a msgpack_zone and sizes each array or map from the count in its
 * header before any element is read, so the 6-byte payload dd 01000000 c0
 * makes it malloc 512 MiB, and a zone has no cap to bound that.
 *
 * Mapping: nil as null, true and false, integers (every width, uint64 and
 * int64 whole) as JSON numbers, float 32 and 64 as the shortest decimal
 * that reads back (NaN and infinities as strings), str as strings
 * (ill-formed UTF-8 replaced), bin as hex strings, arrays and maps as arrays
 * and objects, the timestamp extension (type -1, 4, 8 or 12 bytes) as
 * {"timestamp": {"seconds": S, "nanoseconds": N}}, any other extension as
 * {"ext": TYPE, "data": "HEX"}. Map keys must be str (well-formed UTF-8
 * without NUL) or integers (shown as their decimal string), and a map must
 * not repeat a key, so the JSON never has duplicate members. Anything else
 * is refused with a reason: truncated, the never-used byte 0xc1, bytes
 * after the object, a timestamp with a bad length or nanoseconds past
 * 999999999, nesting deeper than MSGPACK_JSON_MAX_DEPTH, more than
 * MSGPACK_JSON_MAX_KEYS keys open at once.
 */
#ifndef MQD_CLI_DECODE_MSGPACK_JSON_H
#define MQD_CLI_DECODE_MSGPACK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/json_tree.h"
#include "util/json_writer.h"

#define MSGPACK_JSON_MAX_DEPTH JSON_TREE_MAX_DEPTH
#define MSGPACK_JSON_MAX_KEYS JSON_TREE_MAX_KEYS

/* The reader's working memory (about 40 KiB: the open containers and the
 * keys of the open maps), owned by its caller (a printer) and reused for
 * every payload; NULL when out of memory. */
struct msgpack_json;
struct msgpack_json *msgpack_json_new(void);
void msgpack_json_free(struct msgpack_json *mj);

/* Writes data[0..len) as one JSON value to w. On failure returns false
 * with a static reason in *why; what was written to w must then be
 * discarded (write into a scratch buffer first). */
bool msgpack_to_json(struct msgpack_json *mj, struct json_writer *w,
                     const uint8_t *data, size_t len, const char **why);

#endif
