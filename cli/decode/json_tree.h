/* A bounded JSON value builder over util/json_writer, for the decoders
 * that turn a binary tree format (CBOR, MessagePack) into JSON: a fixed
 * stack of open containers says where the next item goes (an array
 * element, a map key, a map value) and closes containers whose items are
 * all there; map keys are checked (well-formed UTF-8 without NUL, not
 * repeated in their map) so the JSON never has duplicate or unreadable
 * member names. Nothing is allocated: the caller embeds a struct
 * json_tree in its own working memory and resets it for each payload.
 * The first failure's static reason is kept; later ones are ignored.
 */
#ifndef MQD_CLI_DECODE_JSON_TREE_H
#define MQD_CLI_DECODE_JSON_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/json_writer.h"

#define JSON_TREE_MAX_DEPTH 64
#define JSON_TREE_MAX_KEYS 1024

/* JSON_TREE_STRING and JSON_TREE_BYTES are a decoder's own frames for a
 * string sent in chunks: pushed and popped by it, never closed here. */
enum json_tree_kind { JSON_TREE_ARRAY, JSON_TREE_MAP, JSON_TREE_STRING, JSON_TREE_BYTES };

struct json_tree_frame {
    enum json_tree_kind kind;
    bool indefinite;    /* its end is a marker, not a count */
    uint64_t left;      /* definite: items still to come (a map: 2 per pair) */
    bool want_key;      /* a map: the next item is a key */
    size_t keys_start;  /* a map: its first entry in keys[] */
    size_t pool_start;  /* a map: its first byte in pool[] */
};

struct json_tree_key {
    const uint8_t *p;
    size_t n;
};

struct json_tree {
    struct json_writer *w;
    const char *err;       /* the first failure, NULL while none */
    const char *too_deep;  /* the reason given past JSON_TREE_MAX_DEPTH */
    bool done;             /* the top-level item is complete */
    unsigned depth;
    struct json_tree_frame st[JSON_TREE_MAX_DEPTH];
    size_t nkeys;
    size_t pool_used;
    struct json_tree_key keys[JSON_TREE_MAX_KEYS];
    char pool[JSON_TREE_MAX_KEYS * 21]; /* integer keys as decimal text */
};

/* Starts a new value written to w; too_deep is the reason for nesting
 * past JSON_TREE_MAX_DEPTH. */
void json_tree_reset(struct json_tree *t, struct json_writer *w, const char *too_deep);

void json_tree_fail(struct json_tree *t, const char *why);

/* The innermost open frame, NULL at the top level. */
struct json_tree_frame *json_tree_top(struct json_tree *t);

/* True when the next item is a map key. */
bool json_tree_want_key(const struct json_tree *t);

/* After a whole item (a scalar, or a container just closed): counts it in
 * its container and closes every definite container it completes. */
void json_tree_item_done(struct json_tree *t);

/* Closes the innermost container (an array or a map) in the JSON. */
void json_tree_close_top(struct json_tree *t);

/* Opens a frame with `left` items to come, or fails (too_deep). */
void json_tree_push(struct json_tree *t, enum json_tree_kind kind, bool indefinite, uint64_t left);

/* Writes the start of an array or a map with `items` items (a map: 2 per
 * pair); a definite empty one is closed at once and is an item done. */
void json_tree_open(struct json_tree *t, enum json_tree_kind kind, bool indefinite, uint64_t items);

/* A map key p[0..n): refused when it is not UTF-8 (two ill-formed keys
 * would both become U+FFFD), holds a NUL (JSON readers such as jansson
 * refuse it in a member name), the map already has it, or too many keys
 * are open. p must stay valid until the map closes. */
void json_tree_put_key(struct json_tree *t, const uint8_t *p, size_t n);

/* An integer key given as its decimal text, copied into the pool. */
void json_tree_int_key(struct json_tree *t, const char *text);

#endif
