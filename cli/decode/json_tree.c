/* The bounded JSON value builder (json_tree.h). */
#include "decode/json_tree.h"

#include <string.h>

#include "mqttdissect/utf8.h"

void json_tree_reset(struct json_tree *t, struct json_writer *w, const char *too_deep)
{
    t->w = w;
    t->err = NULL;
    t->too_deep = too_deep;
    t->done = false;
    t->depth = 0;
    t->nkeys = 0;
    t->pool_used = 0;
}

void json_tree_fail(struct json_tree *t, const char *why)
{
    if (!t->err)
        t->err = why;
}

struct json_tree_frame *json_tree_top(struct json_tree *t)
{
    return t->depth ? &t->st[t->depth - 1] : NULL;
}

bool json_tree_want_key(const struct json_tree *t)
{
    if (!t->depth)
        return false;
    const struct json_tree_frame *f = &t->st[t->depth - 1];
    return f->kind == JSON_TREE_MAP && f->want_key;
}

void json_tree_close_top(struct json_tree *t)
{
    struct json_tree_frame *f = json_tree_top(t);
    if (f->kind == JSON_TREE_MAP) {
        jw_object_end(t->w);
        t->nkeys = f->keys_start;
        t->pool_used = f->pool_start;
    } else {
        jw_array_end(t->w);
    }
    t->depth--;
}

void json_tree_item_done(struct json_tree *t)
{
    for (;;) {
        struct json_tree_frame *f = json_tree_top(t);
        if (!f) {
            t->done = true;
            return;
        }
        if (f->kind == JSON_TREE_MAP)
            f->want_key = !f->want_key;
        if (f->indefinite)
            return;
        if (--f->left > 0)
            return;
        json_tree_close_top(t); /* its last item: the container is an item done */
    }
}

void json_tree_push(struct json_tree *t, enum json_tree_kind kind, bool indefinite, uint64_t left)
{
    if (t->depth == JSON_TREE_MAX_DEPTH) {
        json_tree_fail(t, t->too_deep);
        return;
    }
    struct json_tree_frame *f = &t->st[t->depth++];
    f->kind = kind;
    f->indefinite = indefinite;
    f->left = left;
    f->want_key = kind == JSON_TREE_MAP;
    f->keys_start = t->nkeys;
    f->pool_start = t->pool_used;
}

void json_tree_open(struct json_tree *t, enum json_tree_kind kind, bool indefinite, uint64_t items)
{
    if (kind == JSON_TREE_MAP)
        jw_object_begin(t->w);
    else
        jw_array_begin(t->w);
    if (!indefinite && items == 0) { /* empty: closed at once */
        if (kind == JSON_TREE_MAP)
            jw_object_end(t->w);
        else
            jw_array_end(t->w);
        json_tree_item_done(t);
        return;
    }
    json_tree_push(t, kind, indefinite, items);
}

void json_tree_put_key(struct json_tree *t, const uint8_t *p, size_t n)
{
    struct json_tree_frame *f = json_tree_top(t);
    if (!mqd_utf8_valid(p, n) || memchr(p, 0, n)) {
        json_tree_fail(t, "a map key that is not UTF-8 text without NUL");
        return;
    }
    for (size_t i = f->keys_start; i < t->nkeys; i++) {
        if (t->keys[i].n == n && memcmp(t->keys[i].p, p, n) == 0) {
            json_tree_fail(t, "a map repeats a key");
            return;
        }
    }
    if (t->nkeys == JSON_TREE_MAX_KEYS) {
        json_tree_fail(t, "too many map keys at once");
        return;
    }
    t->keys[t->nkeys].p = p;
    t->keys[t->nkeys++].n = n;
    jw_key_n(t->w, (const char *)p, n);
    json_tree_item_done(t);
}

void json_tree_int_key(struct json_tree *t, const char *text)
{
    size_t n = strlen(text);
    if (t->pool_used + n > sizeof t->pool) {
        json_tree_fail(t, "too many map keys at once");
        return;
    }
    char *p = t->pool + t->pool_used;
    memcpy(p, text, n);
    t->pool_used += n;
    json_tree_put_key(t, (const uint8_t *)p, n);
}
