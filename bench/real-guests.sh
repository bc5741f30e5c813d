#!/bin/bash
# balloond's cost on real guests: N QEMU guests (TCG; KVM with
# E2E_VIRT=kvm) with a virtio balloon, built and started by the end-to-end
# harness (tests/e2e/lib.sh) under a libvirtd of its own. There the floor
# is libvirtd's own work: one virConnectGetAllDomainStats(STATE | BALLOON),
# which asks each guest's QEMU over QMP. Alternating rounds of the floor
# (bench-floor) and of balloond's whole cycle (bench-cycle: collect,
# decide, apply in dry run, status file, metrics) on the same guests; prints
# each round and the overhead, (cycle - floor) / floor, of the medians.
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

val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
echo "guests=$guests virt=${E2E_VIRT:-qemu} reps=$reps per round"
printf '%-6s %10s %10s %9s %10s %10s\n' ROUND FLOOR_MS CYCLE_MS OVERHEAD FLOOR_CPU CYCLE_CPU
fl=() cy=()
for r in $(seq "$rounds"); do
        f=$("$build/bench/bench-floor" "$E2E_URI" "$reps") || exit 1
        c=$("$build/bench/bench-cycle" "$E2E_URI" "$reps") || exit 1
        fm=$(val median_ms "$f") cm=$(val median_ms "$c")
        fl+=("$fm") cy+=("$cm")
        printf '%-6s %10s %10s %8s%% %10s %10s\n' "$r" "$fm" "$cm" \
                "$(awk -v a="$cm" -v b="$fm" 'BEGIN { printf "%.1f", (a - b) / b * 100 }')" \
                "$(val cpu_ms "$f")" "$(val cpu_ms "$c")"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mf=$(median "${fl[@]}") mc=$(median "${cy[@]}")
echo "median floor ${mf} ms ($(awk -v a="$mf" -v n="$guests" 'BEGIN { printf "%.3f", a / n }') ms per guest)," \
        "median cycle ${mc} ms: balloond adds $(awk -v a="$mc" -v b="$mf" 'BEGIN { printf "%.1f", (a - b) / b * 100 }') %"
