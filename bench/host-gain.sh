#!/bin/bash
# Donors by host gain (issue 18) against the policy before it: every shipped
# scenario under balloond's policy with two balloond-sim builds, the host
# memory each freed (the mean of the simulated host's MemAvailable over the
# run: the same scenario, so a higher mean is memory the VMs did not hold),
# the memory held in balloons (GiB-hours) and the guests' pressure.
#   bash bench/host-gain.sh BEFORE/balloond-sim AFTER/balloond-sim [SCENARIO.json...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
before=$1 after=$2
shift 2
[ $# -gt 0 ] || set -- "$top"/scenarios/*.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mean_free() { awk -F, 'NR > 1 { s += $2; n++ } END { printf "%.0f", n ? s / n : 0 }' "$1"; }
# The table's value under the first header starting with PREFIX ("-" if none).
col() {
        awk -v p="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if (index($i, p) == 1 && !c) c = i }
                       NR == 2 { print c ? $c : "-" }' "$1"
}
printf '%-20s %12s %12s %8s %10s %10s %9s %9s\n' SCENARIO FREE_BEFORE FREE_AFTER DELTA RECL_BEFORE RECL_AFTER PRES_BEF PRES_AFT
worse=0
for sc in "$@"; do
        name=$(basename "$sc" .json)
        "$before" --policy balloond --csv "$work/b.csv" "$sc" > "$work/b.txt"
        "$after" --policy balloond --csv "$work/a.csv" "$sc" > "$work/a.txt"
        fb=$(mean_free "$work/b.csv") fa=$(mean_free "$work/a.csv")
        printf '%-20s %12s %12s %8s %10s %10s %9s %9s\n' "$name" "$fb" "$fa" $((fa - fb)) \
                "$(col "$work/b.txt" RECLAIM)" "$(col "$work/a.txt" RECLAIM)" "$(col "$work/b.txt" GUEST_PR)" \
                "$(col "$work/a.txt" GUEST_PR)"
        [ "$fa" -ge "$fb" ] || worse=$((worse + 1))
done
echo "(FREE: mean host MemAvailable, MiB; RECL: held in balloons, GiB-h; PRES: guest pressure, VM-s)"
echo "scenarios where the host had less free memory after: $worse"
