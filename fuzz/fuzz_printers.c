/* libFuzzer entry point of the "printers" target; the checks are in target_printers.c. */
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_printers(data, size);
    return 0;
}
