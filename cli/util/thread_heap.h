/* Room made up front in the calling thread's malloc heap. */
#ifndef MQD_CLI_THREAD_HEAP_H
#define MQD_CLI_THREAD_HEAP_H

#include <stddef.h>

/* glibc gives a thread other than the first a heap of its own and grows it
 * by what each allocation lacks, a page or so at a time, one mprotect call
 * each: the decoding thread, whose connections' state grows to several MiB,
 * made 3,300 such calls on the 50 MB TLS benchmark capture. Blocks taken
 * here and given back leave about `bytes` of that heap writable (what is
 * given back is released with madvise, which keeps the protection), so
 * later growth up to there costs page faults only. Nothing stays resident.
 * Each block is below malloc's default mmap threshold (128 KiB), so that it
 * comes from the heap; elsewhere this is a few mallocs and frees. */
void thread_heap_reserve(size_t bytes);

#endif
