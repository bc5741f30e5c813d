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

. "$top/bench/paired.sh"
pair_start "$build" "$E2E_URI" "$E2E_WORK" || exit 1
echo "guests=$guests virt=${E2E_VIRT:-qemu} pairs=$reps per round"
printf '%-6s %10s %10s %13s %10s %10s\n' ROUND FLOOR_MS CYCLE_MS PAIRED_DIFF FLOOR_CPU CYCLE_CPU
all=$E2E_WORK/pairs.all
: >"$all"
for r in $(seq "$rounds"); do
        one=$E2E_WORK/pairs.$r
        : >"$one"
        pair_steps "$reps" "$one" || exit 1
        cat "$one" >>"$all"
        pair_summary "$one"
        printf '%-6s %10s %10s %12s%% %10s %10s\n' "$r" "$(cat "$one.f")" "$(cat "$one.c")" \
                "$(awk -v d="$(cat "$one.d")" -v f="$(cat "$one.f")" 'BEGIN { printf "%.1f", d / f * 100 }')" \
                "$(cat "$one.fc")" "$(cat "$one.cc")"
done
pair_stop
pair_summary "$all"
read -r mean ci <"$all.m"
echo "pairs=$(wc -l <"$all") median floor $(cat "$all.f") ms ($(awk -v a="$(cat "$all.f")" -v n="$guests" \
        'BEGIN { printf "%.3f", a / n }') ms per guest), median cycle $(cat "$all.c") ms"
echo "balloond adds: median paired difference $(cat "$all.d") ms =" \
        "$(awk -v d="$(cat "$all.d")" -v f="$(cat "$all.f")" 'BEGIN { printf "%.1f", d / f * 100 }') % of the floor;" \
        "mean $(awk -v m="$mean" -v c="$ci" -v f="$(cat "$all.f")" \
                'BEGIN { printf "%.1f %% (95 %% interval %.1f to %.1f %%)", m / f * 100, (m - c) / f * 100, (m + c) / f * 100 }');" \
        "CPU $(cat "$all.fc") ms floor, $(cat "$all.cc") ms cycle (medians)"
