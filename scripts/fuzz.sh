#!/usr/bin/env bash
# Fuzzes with libFuzzer for SECONDS (default 60) one of two targets:
#   model-requests (default)  the model's request path (subdev-fuzz)
#   client-replies            the client's reply and event decoding (subdev-fuzz-client)
# Builds the target with -sanitize=fuzzer into .build-fuzz, then runs it
# from its seed corpus in Fuzz/corpus/TARGET (new inputs go to a scratch
# copy; the committed corpus stays as it is). Prints libFuzzer's figures;
# exits non-zero when an input crashes, leaving it in .build-fuzz/crashes.
#
#   bash scripts/fuzz.sh 3600                    # an hour on the model
#   bash scripts/fuzz.sh 600 client-replies      # ten minutes on the client
#   FUZZ_JOBS=2 bash scripts/fuzz.sh 600         # two workers
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
target=${2:-model-requests}
case "$target" in
  model-requests) product=subdev-fuzz ;;
  client-replies) product=subdev-fuzz-client ;;
  *) echo "fuzz.sh: no target $target (model-requests or client-replies)" >&2; exit 2 ;;
esac
flags=(-c release --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING -Xswiftc -use-ld=lld)
swift build "${flags[@]}" --product "$product" >/dev/null
bin=$(swift build "${flags[@]}" --show-bin-path)
work=.build-fuzz/corpus-$target
mkdir -p "$work" .build-fuzz/crashes
cp -n Fuzz/corpus/"$target"/* "$work"/
# libFuzzer, not the Swift runtime, must catch a crash, to save the input.
SWIFT_BACKTRACE=enable=no "$bin/$product" -max_total_time="$seconds" -print_final_stats=1 -max_len=4096 -timeout=30 \
  -artifact_prefix=.build-fuzz/crashes/ ${FUZZ_JOBS:+-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS} "$work"
