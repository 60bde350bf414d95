/* libFuzzer entry point of the "payload" target; the checks are in
 * target_payload.c. */
#include <stddef.h>
#include <stdint.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_payload(data, size);
    return 0;
}
