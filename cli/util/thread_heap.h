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
 *
 * The same span is advised for transparent huge pages (MADV_HUGEPAGE; the
 * kernel's default policy, "madvise", uses them only where asked): a page
 * fault then brings 2 MiB instead of 4 KiB. On that capture the process's
 * minor faults fell from 4,870 to 1,800. What is resident grows in 2 MiB
 * steps instead (+0.2 MiB on a capture of a few messages).
 *
 * Each block is below malloc's default mmap threshold (128 KiB), so that it
 * comes from the heap; elsewhere (another allocator, blocks not one after
 * the other) this is a few mallocs and frees and no advice. */
void thread_heap_reserve(size_t bytes);

#endif
