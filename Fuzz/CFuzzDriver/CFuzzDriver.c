#include "CFuzzDriver.h"

/* Weak, so that a build without libFuzzer links and says so at run time. */
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *, size_t)) __attribute__((weak));

int subdev_fuzz_run_driver(int argc, char **argv, int (*test)(const uint8_t *data, size_t size))
{
    if (!LLVMFuzzerRunDriver)
        return -1;
    return LLVMFuzzerRunDriver(&argc, &argv, test);
}
