#!/bin/bash
# balloond's cost on real guests: N QEMU guests (TCG; KVM with
# E2E_VIRT=kvm) with a virtio balloon, built and started by the end-to-end
# harness (tests/e2e/lib.sh) under a libvirtd of its own. There the floor
# is libvirtd's own work: one virConnectGetAllDomainStats(STATE | BALLOON),
# which asks each guest's QEMU over QMP. Alternating rounds of the floor
# (bench-floor) and of balloond's whole cycle (bench-cycle: collect,
# decide, apply in dry run, status file, metrics) on the same guests, in
# pairs; prints
# per round and overall the medians and the paired difference (see below).
#   bash bench/real-guests.sh [BUILD_DIR] [GUESTS] [ROUNDS] [REPS]
# (default build 9 5 50). Needs root; only one libvirtd can run on a host.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build} guests=${2:-9} rounds=${3:-5} reps=${4:-50}
export E2E_WORK=${E2E_WORK:-/tmp/balloond-bench-guests}
rm -rf "$E2E_WORK"
mkdir -p "$E2E_WORK"
. "$top/tests/e2e/lib.sh"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
e2e_host_setup || exit 1
e2e_build_guest || exit 1
e2e_start_libvirtd || exit 1
names=()
for i in $(seq "$guests"); do
        e2e_define "bd-b$i" 1024 || exit 1
        names+=("bd-b$i")
done
e2e_start "${names[@]}" || exit 1
sleep 3 # every guest has reported its statistics once

# One floor process and one cycle process for the whole run, each doing one
# repetition per byte it reads (BENCH_STEPPED, bench/stepped.h). Each step
# runs a floor and a cycle back to back, in alternating order, so that each
# pair meets the guests in the same state: the guests' own noise (TCG on two
# vCPUs) cancels in the paired difference.
for p in floor cycle; do mkfifo "$E2E_WORK/$p.in" "$E2E_WORK/$p.out"; done
BENCH_STEPPED=1 "$build/bench/bench-floor" "$E2E_URI" <"$E2E_WORK/floor.in" >"$E2E_WORK/floor.out" &
BENCH_STEPPED=1 "$build/bench/bench-cycle" "$E2E_URI" <"$E2E_WORK/cycle.in" >"$E2E_WORK/cycle.out" &
exec 3>"$E2E_WORK/floor.in" 4<"$E2E_WORK/floor.out" 5>"$E2E_WORK/cycle.in" 6<"$E2E_WORK/cycle.out"
step() { # OUT_FD IN_FD: one repetition; prints "ms cpu_ms"
        local line
        printf x >&"$1"
        read -r -u "$2" line || { echo "bench: a stepped program died" >&2; exit 1; }
        sed -n 's/^step ms=\([^ ]*\) cpu_ms=\([^ ]*\)$/\1 \2/p' <<<"$line"
}
# Per round and overall: median floor and cycle, the median of the paired
# differences relative to the median floor, the mean difference with its
# 95 % interval, and the median CPU of each.
summary() { # FILE of "floor_ms floor_cpu cycle_ms cycle_cpu" lines
        sort -k1,1g "$1" | awk '{ f[NR] = $1 } END { print f[int((NR + 1) / 2)] }' >"$1.f"
        sort -k3,3g "$1" | awk '{ c[NR] = $3 } END { print c[int((NR + 1) / 2)] }' >"$1.c"
        awk '{ print $3 - $1 }' "$1" | sort -g | awk '{ d[NR] = $1 } END { print d[int((NR + 1) / 2)] }' >"$1.d"
        sort -k2,2g "$1" | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }' >"$1.fc"
        sort -k4,4g "$1" | awk '{ v[NR] = $4 } END { print v[int((NR + 1) / 2)] }' >"$1.cc"
        awk '{ d = $3 - $1; s += d; q += d * d; n++ }
             END { m = s / n; sd = sqrt((q - n * m * m) / (n > 1 ? n - 1 : 1)); printf "%.4f %.4f\n", m, 1.96 * sd / sqrt(n) }' \
                "$1" >"$1.m"
}
echo "guests=$guests virt=${E2E_VIRT:-qemu} pairs=$reps per round"
printf '%-6s %10s %10s %13s %10s %10s\n' ROUND FLOOR_MS CYCLE_MS PAIRED_DIFF FLOOR_CPU CYCLE_CPU
all=$E2E_WORK/pairs.all
: >"$all"
for r in $(seq "$rounds"); do
        one=$E2E_WORK/pairs.$r
        : >"$one"
        for i in $(seq "$reps"); do
                if [ $((i % 2)) = 1 ]; then f=$(step 3 4) c=$(step 5 6); else c=$(step 5 6) f=$(step 3 4); fi
                [ -n "$f" ] && [ -n "$c" ] || { echo "bench: a step printed nothing" >&2; exit 1; }
                echo "$f $c" >>"$one"
        done
        cat "$one" >>"$all"
        summary "$one"
        printf '%-6s %10s %10s %12s%% %10s %10s\n' "$r" "$(cat "$one.f")" "$(cat "$one.c")" \
                "$(awk -v d="$(cat "$one.d")" -v f="$(cat "$one.f")" 'BEGIN { printf "%.1f", d / f * 100 }')" \
                "$(cat "$one.fc")" "$(cat "$one.cc")"
done
exec 3>&- 5>&-
wait
summary "$all"
read -r mean ci <"$all.m"
echo "pairs=$(wc -l <"$all") median floor $(cat "$all.f") ms ($(awk -v a="$(cat "$all.f")" -v n="$guests" \
        'BEGIN { printf "%.3f", a / n }') ms per guest), median cycle $(cat "$all.c") ms"
echo "balloond adds: median paired difference $(cat "$all.d") ms =" \
        "$(awk -v d="$(cat "$all.d")" -v f="$(cat "$all.f")" 'BEGIN { printf "%.1f", d / f * 100 }') % of the floor;" \
        "mean $(awk -v m="$mean" -v c="$ci" -v f="$(cat "$all.f")" \
                'BEGIN { printf "%.1f %% (95 %% interval %.1f to %.1f %%)", m / f * 100, (m - c) / f * 100, (m + c) / f * 100 }');" \
        "CPU $(cat "$all.fc") ms floor, $(cat "$all.cc") ms cycle (medians)"
