/* Tests for cli/util/line_writer.c: three processes write numbered lines of
 * many lengths (written in odd pieces, as the printers' buffers do) through
 * line writers into one pipe and into one file opened for appending; every
 * line read back is whole and each writer's lines are all there, in order.
 * A plain stdio stream fails this (its writes end anywhere in a line). */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/line_writer.h"

#define WRITERS 3
#define LINES 400

/* Line i of writer w: "w i len xxxx...\n", its body the writer's letter,
 * its length a function of i up to max_len. */
static size_t line_len(unsigned i, size_t max_len)
{
    return 16 + (i * 7919u) % (max_len - 16);
}

static void write_lines(int fd, unsigned w, size_t max_len)
{
    FILE *f = line_writer_open(fd);
    if (!f)
        _exit(2);
    char *line = malloc(max_len + 64);
    if (!line)
        _exit(2);
    for (unsigned i = 0; i < LINES; i++) {
        size_t len = line_len(i, max_len);
        int head = snprintf(line, 64, "%u %u %zu ", w, i, len);
        memset(line + head, 'a' + (int)w, len);
        line[(size_t)head + len] = '\n';
        size_t n = (size_t)head + len + 1, at = 0;
        /* In pieces of 1 to 5000 bytes. */
        for (unsigned piece = i; at < n; piece = piece * 31 + 7) {
            size_t k = 1 + piece % 5000;
            if (k > n - at)
                k = n - at;
            if (fwrite(line + at, 1, k, f) != k)
                _exit(3);
            at += k;
        }
        if (i % 37 == 0 && fflush(f) != 0) /* as on the output's ticks */
            _exit(3);
    }
    free(line);
    _exit(fclose(f) == 0 ? 0 : 3);
}

/* Reads back what `in` holds: every line whole, each writer's complete. */
static void check_lines(FILE *in, size_t max_len)
{
    unsigned next[WRITERS] = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) > 0) {
        unsigned w, i;
        size_t len;
        int head;
        assert_int_equal(sscanf(line, "%u %u %zu %n", &w, &i, &len, &head), 3);
        assert_true(w < WRITERS);
        assert_int_equal(i, next[w]);
        assert_int_equal(len, line_len(i, max_len));
        assert_int_equal((size_t)n, (size_t)head + len + 1);
        for (size_t k = 0; k < len; k++)
            if (line[head + (int)k] != 'a' + (int)w)
                fail_msg("line %u of writer %u broken at byte %zu", i, w, k);
        next[w]++;
    }
    free(line);
    for (unsigned w = 0; w < WRITERS; w++)
        assert_int_equal(next[w], LINES);
}

static void wait_writers(pid_t *pids)
{
    for (int w = 0; w < WRITERS; w++) {
        int st;
        assert_int_equal(waitpid(pids[w], &st, 0), pids[w]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
}

/* A pipe: whole lines of up to PIPE_BUF bytes each write. */
static void test_pipe(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pids[WRITERS];
    for (unsigned w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            close(fds[0]);
            write_lines(fds[1], w, PIPE_BUF - 64);
        }
    }
    close(fds[1]);
    FILE *in = fdopen(fds[0], "r");
    assert_non_null(in);
    check_lines(in, PIPE_BUF - 64);
    fclose(in);
    wait_writers(pids);
}

/* A file opened with O_APPEND by each writer: lines of any length. */
static void test_append_file(void **state)
{
    (void)state;
    char path[] = "/tmp/mqd-line-writer-XXXXXX";
    int tmp = mkstemp(path);
    assert_true(tmp >= 0);
    close(tmp);
    pid_t pids[WRITERS];
    for (unsigned w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0)
            write_lines(open(path, O_WRONLY | O_APPEND), w, 100000);
    }
    wait_writers(pids);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    check_lines(in, 100000);
    fclose(in);
    unlink(path);
}

/* A last line without its newline is written at fclose. */
static void test_partial_line_at_close(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    FILE *f = line_writer_open(fds[1]);
    assert_non_null(f);
    fputs("one\ntwo", f);
    assert_int_equal(fflush(f), 0);
    char buf[16] = "";
    assert_int_equal(read(fds[0], buf, sizeof buf), 4); /* "two" waits */
    assert_int_equal(fclose(f), 0);
    assert_int_equal(read(fds[0], buf, sizeof buf), 3);
    assert_memory_equal(buf, "two", 3);
    close(fds[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe),
        cmocka_unit_test(test_append_file),
        cmocka_unit_test(test_partial_line_at_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
