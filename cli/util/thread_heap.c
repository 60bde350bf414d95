#include "util/thread_heap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define BLOCK ((size_t)120 << 10)
#define MAX_BLOCKS 512
#define HUGE_PAGE ((uintptr_t)2 << 20)

/* Whether the blocks lie one after the other (each taken from the heap's
 * top, glibc's case), so that the span from the first to the last is
 * theirs and nothing else's. */
static bool contiguous(void *const volatile *block, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uintptr_t prev = (uintptr_t)block[i - 1], cur = (uintptr_t)block[i];
        if (cur < prev + BLOCK || cur - prev > BLOCK + 64)
            return false;
    }
    return true;
}

/* The whole 2 MiB pages inside the blocks' span are to be backed by huge
 * pages once touched: one page fault per 2 MiB instead of 512. */
static void advise_huge(void *const volatile *block, size_t n)
{
    if (n < 2 || !contiguous(block, n))
        return;
    uintptr_t lo = ((uintptr_t)block[0] + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t hi = ((uintptr_t)block[n - 1] + BLOCK) & ~(HUGE_PAGE - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice only */
}

void thread_heap_reserve(size_t bytes)
{
    /* volatile: a block freed unused may otherwise never be allocated */
    void *volatile block[MAX_BLOCKS];
    size_t n = bytes / BLOCK;
    if (n > MAX_BLOCKS)
        n = MAX_BLOCKS;
    size_t got = 0;
    while (got < n && (block[got] = malloc(BLOCK)) != NULL)
        got++;
    advise_huge(block, got);
    /* In the order taken: each merges with the free ones before it, and
     * the last with the heap's top, which is then released at once. */
    for (size_t i = 0; i < got; i++)
        free(block[i]);
}
