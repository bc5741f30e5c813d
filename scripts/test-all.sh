#!/bin/bash
# Install the dependencies, then build balloond twice and run every test in
# each build: once with -Wall -Wextra -Werror, once more under
# AddressSanitizer + UndefinedBehaviorSanitizer; then build the libFuzzer
# targets with clang and run each for a short while (fuzz/README.md).
# Exits non-zero when any test fails; the last line is the combined CTest
# summary.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
bash scripts/deps.sh test || { echo "installing dependencies failed"; exit 1; }

jobs=$(nproc 2>/dev/null || echo 2)
failed=0 total=0 rc=0
run_suite() { # NAME PARALLEL CTEST-ARGS CMAKE-ARGS...
        local name=$1 dir="build-ci-$1" parallel=$2 ctest_args=$3 log
        shift 3
        echo "=== $name build ==="
        cmake -S . -B "$dir" -DBALLOOND_WERROR=ON "$@" >/dev/null || { rc=1; return; }
        cmake --build "$dir" -j"$jobs" || { rc=1; echo "build failed: $name"; return; }
        log=$(mktemp)
        # shellcheck disable=SC2086
        (cd "$dir" && ctest --output-on-failure -j"$parallel" --timeout 600 $ctest_args) 2>&1 | tee "$log"
        [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
        local line
        line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1)
        if [ -n "$line" ]; then
                total=$((total + $(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")))
                failed=$((failed + $(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")))
        else
                rc=1
        fi
        rm -f "$log"
}
# The tests one at a time: the end-to-end ones time real guests on TCG.
run_suite plain 1 "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBALLOOND_TESTS=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_suite sanitizers 1 "" -DCMAKE_BUILD_TYPE=Debug -DBALLOOND_SANITIZE=ON -DBALLOOND_TESTS=ON
# The fuzz targets, 20 s each (BALLOOND_FUZZ_SECONDS), over their seed corpora,
# one per CPU at a time: each its own process and directory, nothing timed.
run_suite fuzz "$jobs" "-L fuzz" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DBALLOOND_FUZZ=ON -DBALLOOND_TESTS=OFF
[ "$total" -gt 0 ] || rc=1
pct=0
[ "$total" -gt 0 ] && pct=$(( (total - failed) * 100 / total ))
echo
echo "all builds (plain, ASan+UBSan, fuzz):"
echo "${pct}% tests passed, ${failed} tests failed out of ${total}"
exit $rc
