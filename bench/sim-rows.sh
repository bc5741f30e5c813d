#!/bin/bash
# balloond's row on every shipped scenario (or the ones named) and
# balloond-sim --check's verdict on each: deterministic, one line a scenario
# in fixed columns, so that two builds' outputs can be diffed to show what a
# policy change moved (an identical output: no decision changed on these
# scenarios).
#   bash bench/sim-rows.sh BUILD_DIR [SCENARIO.json...]
# Prints the simulator's table (its header, then balloond's row per
# scenario), a blank line, then CHECK / SCENARIO / VERDICT lines: pass, or
# fail and balloond-sim's reasons (joined with "; "). Exits 0 whatever the
# verdicts (it measures); 1 when the build has no balloond-sim, 2 on a bad
# command line, 3 on a bad scenario file (balloond-sim's message on stderr).
set -euo pipefail
usage="usage: bash bench/sim-rows.sh BUILD_DIR [SCENARIO.json...]"
[ $# -ge 1 ] && [ "$1" != -h ] && [ "$1" != --help ] || { echo "$usage" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
sim=$1/balloond-sim
shift
[ -x "$sim" ] || { echo "bench/sim-rows.sh: no $sim: build first (cmake -S . -B build && cmake --build build)" >&2; exit 1; }
[ $# -gt 0 ] || set -- "$top"/scenarios/*.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$sim" --parse-only "$@" > /dev/null || exit 3
"$sim" --policy balloond "$@"
echo
printf '%-5s %-20s %s\n' CHECK SCENARIO VERDICT
for sc in "$@"; do
        name=$(basename "$sc" .json)
        if "$sim" --check "$sc" > /dev/null 2> "$work/why"; then
                verdict=pass
        else
                verdict="fail $(sed 's/^balloond-sim: check failed: [^:]*: //' "$work/why" | paste -sd ';' | sed 's/;/; /g')"
        fi
        printf '%-5s %-20s %s\n' CHECK "$name" "$verdict"
done
