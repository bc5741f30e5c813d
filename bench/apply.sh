#!/bin/bash
# The apply benchmark (issue 17, item 7): a host-wide change of N test-driver
# domains through one libvirtd started here (pinned to CPU 0, the programs
# on the last CPU, as bench/scale.sh does), REPS changes per run, ROUNDS runs
# of each mode in turn (floor, serial, batch; bench/apply.c says what each
# is). Prints every run and the median of each mode's medians, and the
# ratio of each to the floor.
#   bash bench/apply.sh [BUILD_DIR] [N] [REPS] [ROUNDS] [MODES]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
n=${2:-1000}
reps=${3:-10}
rounds=${4:-5}
modes=${5:-"floor serial batch"}
work=$(mktemp -d /tmp/balloond-bench-apply.XXXXXX)
cleanup() {
        [ -s "$work/libvirtd.pid" ] && kill "$(cat "$work/libvirtd.pid")" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
mkdir -p "$work/sock"
printf 'unix_sock_dir="%s"\nlog_outputs="3:file:%s"\nmax_clients=64\n' "$work/sock" "$work/libvirtd.log" > "$work/libvirtd.conf"
taskset -c 0 libvirtd -d -f "$work/libvirtd.conf" -p "$work/libvirtd.pid"
for _ in $(seq 100); do [ -S "$work/sock/libvirt-sock" ] && break; sleep 0.1; done
ncpu=$(nproc)
[ "$ncpu" -gt 1 ] && taskset -cp "$((ncpu - 1))" $$ >/dev/null
bash "$top/bench/gen-testdriver.sh" "$n" > "$work/node.xml"
uri="test+unix://$work/node.xml?socket=$work/sock/libvirt-sock"
for ((r = 1; r <= rounds; r++)); do
        for m in $modes; do
                line=$("$build/bench/bench-apply" "$uri" "$reps" "$m")
                echo "$line"
                sed -n 's/.* median_ms=\([^ ]*\).*/\1/p' <<<"$line" >> "$work/$m"
        done
done
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
f=$(median "$work/floor" 2>/dev/null || echo 0)
for m in $modes; do
        awk -v m="$m" -v v="$(median "$work/$m")" -v f="$f" -v n="$n" 'BEGIN {
                printf "median %-6s %9.1f ms per change of %d domains (%.1f us each)", m, v, n, v * 1000 / n
                if (f > 0) printf ", %.2fx the floor", v / f
                printf "\n" }'
done
echo "bench: apply complete"
