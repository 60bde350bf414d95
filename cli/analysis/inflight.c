/* Packet identifiers in flight. See inflight.h. */
#include "analysis/inflight.h"

#include <stdlib.h>
#include <string.h>

/* Multiplicative hashing spreads sequential identifiers over the slots. */
static uint32_t slot_of(uint16_t id, uint32_t cap)
{
    return ((uint32_t)id * 40503u) & (cap - 1u);
}

static uint32_t next_slot(uint32_t i, uint32_t cap)
{
    return (i + 1u) & (cap - 1u);
}

bool inflight_is_pub(uint8_t kind)
{
    return kind <= FLIGHT_PUB_RELEASED;
}

struct flight *inflight_find(struct flight_table *t, uint16_t id)
{
    if (t->cap == 0 || id == 0)
        return NULL;
    for (uint32_t i = slot_of(id, t->cap);; i = next_slot(i, t->cap)) {
        if (t->slots[i].id == id)
            return &t->slots[i];
        if (t->slots[i].id == 0)
            return NULL;
    }
}

/* Stores e in the first free slot of its probe run; there is one, the load
 * being kept at most 1/2. */
static void place(struct flight_table *t, const struct flight *e)
{
    uint32_t i = slot_of(e->id, t->cap);
    while (t->slots[i].id != 0)
        i = next_slot(i, t->cap);
    t->slots[i] = *e;
}

static bool on_heap(const struct flight_table *t)
{
    return t->slots != NULL && t->slots != t->inline_slots;
}

/* Moves the entries into `cap` new slots (the inline ones when cap is
 * INFLIGHT_INLINE and the table is not there yet). */
static bool grow(struct flight_table *t)
{
    if (t->cap == 0) {
        t->slots = t->inline_slots;
        t->cap = INFLIGHT_INLINE;
        return true;
    }
    uint32_t cap = t->cap * 2;
    struct flight *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    struct flight *old = t->slots;
    uint32_t old_cap = t->cap;
    t->slots = slots;
    t->cap = cap;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].id != 0)
            place(t, &old[i]);
    if (old == t->inline_slots)
        memset(t->inline_slots, 0, sizeof t->inline_slots);
    else
        free(old);
    return true;
}

struct flight *inflight_add(struct flight_table *t, const struct flight *e)
{
    if (t->count >= INFLIGHT_MAX)
        return NULL;
    /* Load at most 1/2: the table never exceeds 2 × INFLIGHT_MAX slots. */
    if ((t->count + 1) * 2 > t->cap && !grow(t))
        return NULL;
    place(t, e);
    t->count++;
    if (inflight_is_pub(e->kind))
        t->pubs++;
    return inflight_find(t, e->id);
}

void inflight_remove(struct flight_table *t, struct flight *e)
{
    uint32_t mask = t->cap - 1;
    uint32_t hole = (uint32_t)(e - t->slots);
    if (inflight_is_pub(e->kind))
        t->pubs--;
    t->count--;
    /* Backward shift: move later entries of the probe run into the hole. */
    for (uint32_t j = next_slot(hole, t->cap); t->slots[j].id != 0;
         j = next_slot(j, t->cap)) {
        uint32_t home = slot_of(t->slots[j].id, t->cap);
        /* Entry j may move to the hole when the hole lies cyclically in
         * [home, j). */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    memset(&t->slots[hole], 0, sizeof t->slots[hole]);
    /* Empty after a burst that took it to the heap: back inside. */
    if (t->count == 0 && on_heap(t)) {
        free(t->slots);
        t->slots = t->inline_slots;
        t->cap = INFLIGHT_INLINE;
    }
}

uint64_t inflight_oldest_frame(const struct flight_table *t, uint64_t first)
{
    for (uint32_t i = 0; i < t->cap; i++)
        if (t->slots[i].id != 0 && (first == 0 || t->slots[i].pub_frame < first))
            first = t->slots[i].pub_frame;
    return first;
}

void inflight_free(struct flight_table *t)
{
    if (on_heap(t))
        free(t->slots);
    memset(t, 0, sizeof *t);
}
