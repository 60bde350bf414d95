/* The failure path shared by every fuzz target. */
#include <stdio.h>
#include <stdlib.h>

#include "targets.h"

const char *fuzz_input_name = NULL;

void fuzz_fail(const char *file, int line, const char *cond, const char *msg)
{
    fprintf(stderr, "\nFUZZ INVARIANT BROKEN at %s:%d: %s\n  check: %s\n",
            file, line, msg, cond);
    if (fuzz_input_name)
        fprintf(stderr, "  input: %s\n", fuzz_input_name);
    fflush(stderr);
    abort();
}
