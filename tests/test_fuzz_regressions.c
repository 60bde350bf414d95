/* Replays the fuzz regressions (fuzz/regressions/<target>/) and seed corpora
 * (fuzz/corpus/<target>/) through the fuzz targets' own checks, without
 * libFuzzer, so every crash ever found stays fixed in the normal suite and
 * under ASan+UBSan. A broken invariant aborts with the input's file name.
 *
 * The check code is compiled in from fuzz/ (the same source files the
 * libFuzzer harnesses use). Every target is always compiled in: a target
 * that goes missing is a build error, and a target with no inputs fails. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fuzz/check.c"
#include "../fuzz/target_parse.c"
#include "../fuzz/target_stream.c"
#include "../fuzz/target_ws.c"
#include "../fuzz/target_tls.c"

#include "../fuzz/target_sn.c"
#include "../fuzz/target_printers.c"
#include "../fuzz/target_pipeline.c"
#include "../fuzz/target_payload.c"

typedef void (*fuzz_target_fn)(const uint8_t *data, size_t size);

static uint8_t *read_whole_file(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (fseek(fp, 0, SEEK_END) == 0) {
        long end = ftell(fp);
        if (end >= 0 && fseek(fp, 0, SEEK_SET) == 0) {
            len = (size_t)end;
            /* Exactly len bytes (1 when empty) so ASan sees any over-read. */
            buf = malloc(len ? len : 1);
            if (buf && fread(buf, 1, len, fp) != len) {
                free(buf);
                buf = NULL;
            }
        }
    }
    fclose(fp);
    *size = len;
    return buf;
}

/* Runs every regular file of MQD_SOURCE_DIR/fuzz/<kind>/<target>/; returns
 * how many. */
static size_t replay_dir(const char *kind, const char *target,
                         fuzz_target_fn fn)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", MQD_SOURCE_DIR, kind, target);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t size;
        uint8_t *data = read_whole_file(path, &size);
        if (!data)
            continue; /* a directory or unreadable: not an input */
        fuzz_input_name = path;
        fn(data, size);
        fuzz_input_name = NULL;
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

static void replay_target(const char *target, fuzz_target_fn fn)
{
    size_t regressions = replay_dir("regressions", target, fn);
    size_t seeds = replay_dir("corpus", target, fn);
    print_message("%s: %zu regressions, %zu corpus inputs\n", target,
                  regressions, seeds);
    assert_true(regressions + seeds > 0);
}

static void test_parse(void **state)
{
    (void)state;
    replay_target("parse", fuzz_parse);
}

static void test_stream(void **state)
{
    (void)state;
    replay_target("stream", fuzz_stream);
}

static void test_ws(void **state)
{
    (void)state;
    replay_target("ws", fuzz_ws);
}

static void test_tls(void **state)
{
    (void)state;
    replay_target("tls", fuzz_tls);
}

static void test_sn(void **state)
{
    (void)state;
    replay_target("sn", fuzz_sn);
}

static void test_printers(void **state)
{
    (void)state;
    replay_target("printers", fuzz_printers);
}

static void test_pipeline(void **state)
{
    (void)state;
    replay_target("pipeline", fuzz_pipeline_all);
}

static void test_payload(void **state)
{
    (void)state;
    replay_target("payload", fuzz_payload);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_ws),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_sn),
        cmocka_unit_test(test_printers),
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
