/* libFuzzer entry point of the "ws" target; the checks are in target_ws.c. */
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ws(data, size);
    return 0;
}
