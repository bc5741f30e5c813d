#!/bin/bash
# Run one libFuzzer target for a while over a fresh copy of its seed corpus
# (the repository's corpus is never written to). Used by ctest -L fuzz.
#   run-fuzzer.sh BINARY SEED_DIR WORK_DIR SECONDS [DICT]
# WORK_DIR/corpus is the copy the fuzzer grows; a crash, leak, timeout or
# sanitizer report is written to WORK_DIR/artifacts/ and fails the run.
set -euo pipefail
bin=$1 seeds=$2 work=$3 secs=$4 dict=${5:-}
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$work/artifacts/")
[ -n "$dict" ] && args+=(-dict="$dict")
exec "$bin" "${args[@]}" "$work/corpus"
