/* libFuzzer entry point of the "pipeline" target; the checks are in target_pipeline.c. */
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_pipeline(data, size);
    return 0;
}
