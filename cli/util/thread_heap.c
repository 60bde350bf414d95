#include "util/thread_heap.h"

#include <stdlib.h>

#define BLOCK ((size_t)120 << 10)
#define MAX_BLOCKS 512

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
    /* In the order taken: each merges with the free ones before it, and
     * the last with the heap's top, which is then released at once. */
    for (size_t i = 0; i < got; i++)
        free(block[i]);
}
