#ifndef SUBDEV_CFUZZDRIVER_H
#define SUBDEV_CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/* Runs libFuzzer's driver (LLVMFuzzerRunDriver) on argc/argv with test as
 * the target. SwiftPM renames an executable's entry point, so libFuzzer's
 * own main is never called; the fuzz target's entry point calls this.
 * Returns -1 when the binary was not linked with -sanitize=fuzzer. */
int subdev_fuzz_run_driver(int argc, char **argv, int (*test)(const uint8_t *data, size_t size));

#endif
