#!/bin/bash
# The policy benchmark (docs/POLICY-BENCHMARK.md): regenerates every table
# of the doc between its <!-- NAME:begin --> / <!-- NAME:end --> markers
# from the runs below, and the two plots:
#   scenarios  every shipped scenario under every policy, one table
#   check      balloond-sim --check's verdict on each shipped scenario
#   density    for each family and host size, the most VMs each policy hosts
#              with no guest pressure, host overcommit or OOM (seeds 1..3)
#   generated  each family at its default size (about 1.5x overcommitted),
#              seeds 1..5: guest pressure, OOM events, seconds past RAM
#   generated-check  balloond-sim --check's verdict on those runs, and
#              whether the oracle (which sees a minute ahead) kept each
#              failing one clean
#   scale      CPU seconds of a 1,000-VM scenario (2 h) under each policy
#   plots      docs/policy-benchmark-PLOT.svg (one scenario over time, one
#              panel per policy) and docs/policy-benchmark-density.svg
#   bash bench/policy.sh [BUILD_DIR] [PLOT_SCENARIO]
# Timings are only comparable when nothing else runs: the scale runs take
# the machine's heavy-test lock (LOCK, /var/lock/balloond-heavy.lock) when
# it exists; the rest is deterministic and runs without it.
# Environment: SEEDS (3), GEN_SEEDS (5), HOSTS ("16 256"), FAMILIES (all),
# SCALE_VMS (1000).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
plot=${2:-diurnal}
sim=$build/balloond-sim
doc=$top/docs/POLICY-BENCHMARK.md
seeds=${SEEDS:-3}
gen_seeds=${GEN_SEEDS:-5}
hosts=${HOSTS:-16 256}
scale_vms=${SCALE_VMS:-1000}
[ -x "$sim" ] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 1; }
if ! command -v gnuplot >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >/dev/null
fi
families=${FAMILIES:-$("$sim" --help | sed -n '/^Families:/,/^$/p' | awk 'NF > 1 { print $1 }' | tr '\n' ' ')}
policies=$("$sim" --density diurnal --host-gib 4 --seeds 1 --duration 60 | awk 'NR > 1 { print $3 }' | tr '\n' ' ')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Replace the lines between <!-- $1:begin --> and <!-- $1:end --> in the doc
# with the file $2.
splice() {
        grep -q "<!-- $1:begin -->" "$doc" || { echo "$doc: no <!-- $1:begin --> marker" >&2; exit 1; }
        awk -v name="$1" -v file="$2" '
                $0 == "<!-- " name ":begin -->" { print; while ((getline l < file) > 0) print l; skip = 1; next }
                $0 == "<!-- " name ":end -->" { skip = 0 }
                !skip { print }' "$doc" > "$work/doc" && cp "$work/doc" "$doc"
}

{
        echo '| family | what it is |'
        echo '| --- | --- |'
        "$sim" --help | sed -n '/^Families:/,/^$/p' | awk 'NF > 1 { f = $1; $1 = ""; sub(/^ +/, ""); print "| " f " | " $0 " |" }'
} > "$work/families"
splice families "$work/families"

echo "scenarios ..." >&2
{ echo '```'; "$sim" "$top"/scenarios/*.json; echo '```'; } > "$work/scenarios"
splice scenarios "$work/scenarios"

echo "check ..." >&2
{
        echo '| scenario | `balloond-sim --check` |'
        echo '| --- | --- |'
        for f in "$top"/scenarios/*.json; do
                name=$(basename "$f" .json)
                if "$sim" --check "$f" > /dev/null 2> "$work/why"; then
                        echo "| $name | pass |"
                else
                        echo "| $name | **fails**: $(sed 's/^balloond-sim: check failed: [^:]*: //' "$work/why" | paste -sd '\t' | sed 's/\t/<br>/g') |"
                fi
        done
} > "$work/check"
splice check "$work/check"

echo "density ..." >&2
: > "$work/density.dat"
{
        printf '| family | host GiB |'; for p in $policies; do printf ' %s |' "$p"; done; echo
        printf '| --- | --- |'; for p in $policies; do printf ' ---: |'; done; echo
        for h in $hosts; do
                for fam in $families; do
                        "$sim" --density "$fam" --host-gib "$h" --seeds "$seeds" > "$work/d"
                        printf '| %s | %s |' "$fam" "$h"
                        awk 'NR > 1 { printf " %s |", $4 }' "$work/d"; echo
                        awk -v h="$h" -v fam="$fam" 'NR > 1 { row = row " " $4 } END { print h, fam row }' "$work/d" \
                                >> "$work/density.dat"
                done
        done
} > "$work/density"
splice density "$work/density"
# balloond against the best peer (every policy but balloond and the oracle).
{
        echo '| family | host GiB | balloond | best peer | balloond − best peer | oracle |'
        echo '| --- | --- | ---: | --- | ---: | ---: |'
        awk -v pols="$policies" '{
                n = split(pols, p, " "); best = -1; who = ""
                for (i = 1; i <= n; i++) {
                        v = $(i + 2)
                        if (p[i] == "balloond") b = v
                        else if (p[i] == "oracle") o = v
                        else if (v > best) { best = v; who = p[i] }
                        else if (v == best) who = who ", " p[i]
                }
                d = b - best
                printf "| %s | %s | %d | %d (%s) | %s%d | %d |\n", $2, $1, b, best, who, (d > 0 ? "+" : ""), d, o
        }' "$work/density.dat"
} > "$work/density-vs"
splice density-vs "$work/density-vs"

echo "generated ..." >&2
# Each family at its default size (about 1.5x overcommitted), seeds
# 1..GEN_SEEDS: guest pressure (VM-s short), OOM events and seconds the host
# was past its RAM, summed over the seeds, per policy; and --check's verdict
# on each run, with what the oracle did where it failed.
{
        printf '| family |'; for p in $policies; do printf ' %s |' "$p"; done; echo
        printf '| --- |'; for p in $policies; do printf ' ---: |'; done; echo
        for fam in $families; do
                : > "$work/g"
                : > "$work/gc-$fam"
                for s in $(seq 1 "$gen_seeds"); do
                        "$sim" --generate "$fam" --seed "$s" > "$work/g.json"
                        "$sim" "$work/g.json" | awk 'NR > 1 { print $2, $5, $12, $6 }' > "$work/g1"
                        cat "$work/g1" >> "$work/g"
                        if ! "$sim" --check "$work/g.json" > /dev/null 2> /dev/null; then
                                awk -v s="$s" '$1 == "balloond" { b = $2 " / " $3 " / " $4 }
                                        $1 == "oracle" { o = ($2 || $3 || $4) ? "not clean either: " $2 " / " $3 " / " $4 : "clean" }
                                        END { printf "seed %d (%s; oracle %s)\n", s, b, o }' "$work/g1" >> "$work/gc-$fam"
                        fi
                done
                printf '| %s |' "$fam"
                for p in $policies; do
                        awk -v p="$p" '$1 == p { gp += $2; oom += $3; ho += $4 }
                                END { printf " %d / %d / %d |", gp, oom, ho }' "$work/g"
                done
                echo
        done
} > "$work/generated"
splice generated "$work/generated"
{
        echo "| family | passes --check | fails (balloond: VM-s short / OOM events / s past RAM; the oracle) |"
        echo "| --- | ---: | --- |"
        for fam in $families; do
                fails=$(wc -l < "$work/gc-$fam")
                printf '| %s | %d of %d | %s |\n' "$fam" $((gen_seeds - fails)) "$gen_seeds" \
                        "$(paste -sd ';' "$work/gc-$fam" | sed 's/;/; /g')"
        done
} > "$work/generated-check"
splice generated-check "$work/generated-check"

echo "scale ..." >&2
"$sim" --generate diurnal --seed 1 --vms "$scale_vms" > "$work/big.json"
lock=${LOCK:-/var/lock/balloond-heavy.lock}
if [ -e "$lock" ]; then
        exec {lock_fd}< "$lock"
        flock "$lock_fd"
fi
{
        echo "| policy | CPU seconds (user) for $scale_vms VMs, 7,200 simulated seconds |"
        echo '| --- | ---: |'
        for p in $policies; do
                /usr/bin/time -f '%U' -o "$work/t" "$sim" --policy "$p" "$work/big.json" > /dev/null
                echo "| $p | $(cat "$work/t") |"
        done
} > "$work/scale"
[ -n "${lock_fd:-}" ] && flock -u "$lock_fd"
splice scale "$work/scale"

echo "plots ..." >&2
for p in $policies; do
        "$sim" --policy "$p" --csv "$work/$p.csv" "$top/scenarios/$plot.json" > /dev/null
done
n_vms=$(( ($(head -1 "$work/balloond.csv" | tr ',' '\n' | wc -l) - 2) / 2 ))
n_pol=$(echo $policies | wc -w)
out="$top/docs/policy-benchmark-$plot.svg"
{
        echo "set terminal svg size 1400,$((300 * n_pol)) dynamic font 'sans,11'"
        echo "set output '$out'"
        echo "set datafile separator ','"
        echo "set termoption noenhanced"
        echo "set multiplot layout $n_pol,1 title 'scenario $plot: balloon (solid) and demand (dashed) per VM, host free memory (grey), MiB'"
        echo "set key outside right top"
        echo "set xlabel 'seconds'"
        echo "set ylabel 'MiB'"
        echo "set yrange [0:*]"
        for p in $policies; do
                echo "set title '$p'"
                line="plot '$work/$p.csv' every 20 using 1:2 with lines lc rgb '#999999' lw 2 title 'host free'"
                for ((v = 0; v < n_vms; v++)); do
                        a=$((3 + 2 * v)) d=$((4 + 2 * v))
                        line+=", '' every 20 using 1:$a with lines lc $((v + 1)) lw 1.5 title columnhead($a)"
                        line+=", '' every 20 using 1:$d with lines lc $((v + 1)) dt 2 notitle"
                done
                echo "$line"
        done
        echo "unset multiplot"
} > "$work/plot.gp"
gnuplot "$work/plot.gp"

dens="$top/docs/policy-benchmark-density.svg"
set -- $hosts
{
        echo "set terminal svg size 1400,$((420 * $#)) dynamic font 'sans,11'"
        echo "set output '$dens'"
        echo "set termoption noenhanced"
        echo "set multiplot layout $#,1 title 'density: most VMs hosted with no guest pressure, host overcommit or OOM (seeds 1..$seeds)'"
        echo "set style data histogram"
        echo "set style histogram clustered gap 1"
        echo "set style fill solid 0.8 border -1"
        echo "set key outside right top"
        echo "set ylabel 'VMs'"
        echo "set yrange [0:*]"
        echo "set xtics rotate by -30"
        for h in $hosts; do
                grep "^$h " "$work/density.dat" | cut -d' ' -f2- > "$work/density-$h.dat"
                echo "set title '$h GiB host'"
                line="plot" sep=""
                i=2
                for p in $policies; do
                        line+="$sep '$work/density-$h.dat' using $i:xtic(1) title '$p'"
                        sep=, i=$((i + 1))
                done
                echo "$line"
        done
        echo "unset multiplot"
} > "$work/density.gp"
gnuplot "$work/density.gp"
echo "updated: $doc, $out, $dens" >&2
