/* util/thread_heap: what a thread's reserve leaves behind. Read from
 * /proc/self/smaps: the span is advised for huge pages, and none of it
 * stays resident. glibc's heaps only: under a sanitizer's allocator the
 * reserve is plain mallocs and frees. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/thread_heap.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OWN_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OWN_ALLOCATOR 1
#endif
#endif

#define RESERVE ((size_t)16 << 20)
#define NEAR ((uintptr_t)64 << 20) /* glibc's thread heaps are 64 MiB */

/* What smaps says of the mappings within NEAR of an address. */
struct near_maps {
    size_t advised_kib; /* size of those flagged "hg" (MADV_HUGEPAGE) */
    size_t rss_kib;     /* resident in those */
};

static void read_near(uintptr_t at, struct near_maps *m)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    char line[512];
    bool near = false;
    size_t size_kib = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi, kib;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            near = hi + NEAR > at && lo < at + NEAR;
            size_kib = (hi - lo) >> 10;
        } else if (near && sscanf(line, "Rss: %lu kB", &kib) == 1) {
            m->rss_kib += kib;
        } else if (near && strncmp(line, "VmFlags:", 8) == 0 && strstr(line, " hg")) {
            m->advised_kib += size_kib;
        }
    }
    fclose(f);
}

struct run {
    size_t rss_before_kib;
    struct near_maps after;
};

static void *reserving_thread(void *arg)
{
    struct run *r = arg;
    void *first = malloc(64); /* the thread's heap, made */
    assert_non_null(first);
    struct near_maps before;
    read_near((uintptr_t)first, &before);
    r->rss_before_kib = before.rss_kib;
    thread_heap_reserve(RESERVE);
    read_near((uintptr_t)first, &r->after);
    free(first);
    return NULL;
}

static bool huge_pages_possible(void)
{
    char policy[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return false;
    bool ok = fgets(policy, sizeof policy, f) != NULL && !strstr(policy, "[never]");
    fclose(f);
    return ok;
}

static void run_in_thread(struct run *r)
{
    pthread_t t;
    memset(r, 0, sizeof *r);
    assert_int_equal(pthread_create(&t, NULL, reserving_thread, r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

/* Most of the reserve lies in 2 MiB pages advised for huge pages. */
static void test_reserve_is_advised(void **state)
{
    (void)state;
#ifdef OWN_ALLOCATOR
    skip();
#endif
    if (!huge_pages_possible())
        skip();
    struct run r;
    run_in_thread(&r);
    assert_true(r.after.advised_kib >= (RESERVE >> 10) / 2);
    assert_true(r.after.advised_kib <= (RESERVE >> 10));
}

/* Given back, the reserve does not stay resident (at most a few pages of
 * the blocks' headers and the heap's own). */
static void test_reserve_not_resident(void **state)
{
    (void)state;
#ifdef OWN_ALLOCATOR
    skip();
#endif
    struct run r;
    run_in_thread(&r);
    assert_true(r.after.rss_kib < r.rss_before_kib + 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_is_advised),
        cmocka_unit_test(test_reserve_not_resident),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
