#!/usr/bin/env bash
# Fuzzes the model's request path with libFuzzer for SECONDS (default 60):
# builds subdev-fuzz with -sanitize=fuzzer into .build-fuzz, then runs it
# from the seed corpus in Fuzz/corpus/model-requests (new inputs go to a
# scratch copy; the committed corpus stays as it is). Prints libFuzzer's
# figures; exits non-zero when an input crashes the model, leaving the
# input in .build-fuzz/crashes.
#
#   bash scripts/fuzz.sh 3600              # an hour
#   FUZZ_JOBS=2 bash scripts/fuzz.sh 600   # two workers
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
swift build -c release --product subdev-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -use-ld=lld >/dev/null
bin=$(swift build -c release --scratch-path .build-fuzz --show-bin-path -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -use-ld=lld)
work=.build-fuzz/corpus
mkdir -p "$work" .build-fuzz/crashes
cp -n Fuzz/corpus/model-requests/* "$work"/
"$bin/subdev-fuzz" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 \
  -artifact_prefix=.build-fuzz/crashes/ ${FUZZ_JOBS:+-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS} "$work"
