#!/bin/bash
# balloond's density against the best peer and the oracle: for each family
# (all, or the ones named) and host size, the most VMs each policy hosts with
# no guest pressure, host overcommit or OOM on every seed 1..SEEDS
# (balloond-sim --density). Deterministic, one line a family and host size
# in fixed columns, so that two builds' outputs can be diffed.
#   bash bench/density.sh BUILD_DIR [FAMILY...]
# Columns: FAMILY, HOST_GIB, BALLOOND (its VMs), BEST_PEER (the most VMs of
# any policy but balloond and the oracle), DELTA (balloond - best peer),
# ORACLE, PEERS (the policies reaching BEST_PEER, in balloond-sim's order).
# Environment: SEEDS (3), HOSTS ("16 256").
set -euo pipefail
usage="usage: bash bench/density.sh BUILD_DIR [FAMILY...]"
[ $# -ge 1 ] && [ "$1" != -h ] && [ "$1" != --help ] || { echo "$usage" >&2; exit 2; }
sim=$1/balloond-sim
shift
[ -x "$sim" ] || { echo "bench/density.sh: no $sim: build first (cmake -S . -B build && cmake --build build)" >&2; exit 1; }
seeds=${SEEDS:-3}
hosts=${HOSTS:-16 256}
families=$("$sim" --help | sed -n '/^Families:/,/^$/p' | awk 'NF > 1 { print $1 }')
[ $# -gt 0 ] || set -- $families
for fam in "$@"; do
        grep -qx -- "$fam" <<< "$families" ||
                { echo "bench/density.sh: unknown family '$fam' (families: $(echo $families))" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%-13s %8s %8s %9s %5s %6s  %s\n' FAMILY HOST_GIB BALLOOND BEST_PEER DELTA ORACLE PEERS
for h in $hosts; do
        for fam in "$@"; do
                "$sim" --density "$fam" --host-gib "$h" --seeds "$seeds" > "$work/d"
                awk -v fam="$fam" -v h="$h" '
                        NR > 1 && $3 == "balloond" { b = $4; next }
                        NR > 1 && $3 == "oracle" { o = $4; next }
                        NR > 1 && $4 > best { best = $4; who = $3; next }
                        NR > 1 && $4 == best { who = who "," $3 }
                        END { printf "%-13s %8s %8d %9d %+5d %6d  %s\n", fam, h, b, best, b - best, o, who }
                ' best=-1 "$work/d"
        done
done
