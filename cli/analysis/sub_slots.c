/* SUBSCRIBE filters kept for the SUBACK; see sub_slots.h. */
#include "analysis/sub_slots.h"

#include <stdlib.h>
#include <string.h>

#include "record.h"

#define SUB_SLOT_MIN 64u

/* Bytes the filters of f take in a slot (2-byte length, bytes each), up
 * to SUB_SLOT_BYTES: the filters that do not fit are not listed. */
static uint32_t filters_size(const mqd_frame *f)
{
    mqd_filter_iter it;
    mqd_filter flt;
    uint32_t size = 0;
    mqd_filter_iter_init(&it, f);
    while (mqd_filter_next(&it, &flt)) {
        const uint8_t *data;
        size_t len;
        if (!mqd_frame_str(f, &flt.filter, &data, &len) || SUB_SLOT_BYTES - size < 2 + len)
            break;
        size += 2 + (uint32_t)len;
    }
    return size;
}

/* A slot buffer of at least `need` bytes: sized to what SUBSCRIBEs
 * actually carry (a power of two from SUB_SLOT_MIN), not to the bound. */
static bool reserve(struct sub_slot *ss, uint32_t need)
{
    if (ss->buf && ss->cap >= need)
        return true;
    uint32_t cap = SUB_SLOT_MIN;
    while (cap < need)
        cap *= 2;
    uint8_t *buf = realloc(ss->buf, cap);
    if (!buf)
        return false;
    ss->buf = buf;
    ss->cap = cap;
    return true;
}

int16_t sub_slots_keep(struct sub_slots *t, const mqd_frame *f)
{
    int slot = -1;
    for (int i = 0; i < SUB_SLOTS && slot < 0; i++)
        if (!t->slot[i].used)
            slot = i;
    if (slot < 0)
        return -1;
    struct sub_slot *ss = &t->slot[slot];
    uint32_t size = filters_size(f);
    if (!reserve(ss, size))
        return -1;
    ss->used = true;
    ss->count = 0;
    ss->len = 0;
    mqd_filter_iter it;
    mqd_filter flt;
    mqd_filter_iter_init(&it, f);
    while (mqd_filter_next(&it, &flt)) {
        const uint8_t *data;
        size_t len;
        if (!mqd_frame_str(f, &flt.filter, &data, &len) || size - ss->len < 2 + len)
            break; /* the rest is not listed on the SUBACK */
        ss->buf[ss->len] = (uint8_t)(len >> 8);
        ss->buf[ss->len + 1] = (uint8_t)len;
        memcpy(ss->buf + ss->len + 2, data, len);
        ss->len += 2 + (uint32_t)len;
        ss->count++;
    }
    return (int16_t)slot;
}

const struct sub_slot *sub_slots_get(const struct sub_slots *t, int16_t i)
{
    if (i < 0 || i >= SUB_SLOTS || !t->slot[i].used)
        return NULL;
    return &t->slot[i];
}

void sub_slots_release(struct sub_slots *t, int16_t i)
{
    if (i >= 0 && i < SUB_SLOTS)
        t->slot[i].used = false;
}

void sub_slots_free(struct sub_slots *t)
{
    for (int i = 0; i < SUB_SLOTS; i++) {
        free(t->slot[i].buf);
        t->slot[i].buf = NULL;
        t->slot[i].cap = 0;
        t->slot[i].used = false;
    }
}
