#!/bin/bash
# The policy benchmark: every shipped scenario under every policy (balloond,
# MOM, Proxmox, host-only, release-fully, none, oracle), one table; and, for
# one scenario, a plot of the host's free memory and each VM's balloon and
# demand over time, one panel per policy (SVG, gnuplot from Debian's
# gnuplot-nox).
#   bash bench/policy.sh [BUILD_DIR] [PLOT_SCENARIO]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
plot=${2:-diurnal}
sim=$build/balloond-sim
[ -x "$sim" ] || { echo "build first: cmake -S . -B build && cmake --build build" >&2; exit 1; }
if ! command -v gnuplot >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >/dev/null
fi

"$sim" "$top"/scenarios/*.json

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for p in balloond mom proxmox host-only release-fully none oracle; do
        "$sim" --policy "$p" --csv "$work/$p.csv" "$top/scenarios/$plot.json" > /dev/null
done
n_vms=$(( ($(head -1 "$work/balloond.csv" | tr ',' '\n' | wc -l) - 2) / 2 ))
out="$top/docs/policy-benchmark-$plot.svg"
{
        echo "set terminal svg size 1400,2100 dynamic font 'sans,11'"
        echo "set output '$out'"
        echo "set datafile separator ','"
        echo "set termoption noenhanced"
        echo "set multiplot layout 7,1 title 'scenario $plot: balloon (solid) and demand (dashed) per VM, host free memory (grey), MiB'"
        echo "set key outside right top"
        echo "set xlabel 'seconds'"
        echo "set ylabel 'MiB'"
        echo "set yrange [0:*]"
        for p in balloond mom proxmox host-only release-fully none oracle; do
                echo "set title '$p'"
                plot="plot '$work/$p.csv' every 20 using 1:2 with lines lc rgb '#999999' lw 2 title 'host free'"
                for ((v = 0; v < n_vms; v++)); do
                        a=$((3 + 2 * v)) d=$((4 + 2 * v))
                        plot+=", '' every 20 using 1:$a with lines lc $((v + 1)) lw 1.5 title columnhead($a)"
                        plot+=", '' every 20 using 1:$d with lines lc $((v + 1)) dt 2 notitle"
                done
                echo "$plot"
        done
        echo "unset multiplot"
} > "$work/plot.gp"
gnuplot "$work/plot.gp"
echo "plot: $out"
