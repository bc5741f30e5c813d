#!/bin/bash
# balloond on real QEMU guests under a real libvirtd (TCG; KVM with
# E2E_VIRT=kvm where the host can run it). Three 1 GiB guests: bd-g1 and
# bd-g2 ordinary, bd-db matched as a database by a rule. The daemon runs
# for real (not --once), a cycle a second, under a VM budget of 60 % of the
# guests' maxima. Every scenario asserts on libvirt's balloon size and on the
# guest's own MemTotal / MemAvailable, and no guest may OOM or panic:
#   f) --dry-run changes nothing;  a) the idle guests shrink to fit, never
#   below their floors;  c) the database is never shrunk;  b) a guest that
#   starts using memory gets it within two cycles;  e) a guest whose balloon
#   cannot follow is found stuck, another gives instead;  d) a guest whose
#   stats stop is blind, not shrunk further;  g) pressure ends: balloons deflate back to the maxima;
#   h) the host's wall clock stepped a day ahead and a day behind (with the
#   fault shim, tests/tools/fault-shim.c): the guests' reports look a day
#   old, then a day in the future: blind, not shrunk; managed again once
#   the clock is right.
# Prints the reaction times docs/E2E.md reports.
#   bash tests/e2e/e2e.sh BALLOOND [FAULT-SHIM.so]
set -u
balloond=$(realpath "$1")
shim=${2:+$(realpath "$2")}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/../integration/lib.sh"
rm -rf "$E2E_WORK" && mkdir -p "$E2E_WORK"
bpid=
stop_daemon() { [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null; bpid=; }
finish_up() { stop_daemon; e2e_cleanup; }
trap finish_up EXIT
trap 'exit 130' INT TERM

fatal() { echo "FAIL: $*" >&2; exit 1; }
e2e_host_setup || fatal "host setup"
e2e_build_guest || fatal "guest build"
e2e_start_libvirtd || fatal "libvirtd"
for g in bd-g1 bd-g2 bd-db; do e2e_define "$g" 1024 || fatal "define $g"; done
e2e_start bd-g1 bd-g2 bd-db || fatal "boot"

MiB=1024
max_kib=$((1024 * MiB))
budget_mib=1843 # 60 % of 3 x 1024 MiB
status=$E2E_WORK/status.json
conf() { # BUDGET_MIB: the daemon's configuration
        cat > "$E2E_WORK/balloond.conf" <<CONF
connect = "$E2E_URI";
interval_sec = 1;
host = { vm_budget_mib = $1; };
guest = {
  cooldown_sec = 2;
  grow_hold_sec = 10;
  stuck_after_sec = 2;
  stats_slack_sec = 10;
  blind_action = "deflate";
};
vms = ( { name = "bd-db"; class = "database"; } );
CONF
}
start_daemon() { # extra args
        rm -f "$status"
        mkdir -p "$E2E_WORK/faults"
        env ${shim:+LD_PRELOAD="$shim"} BALLOOND_FAULT_DIR="$E2E_WORK/faults" \
                ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
                "$balloond" -c "$E2E_WORK/balloond.conf" --status-file "$status" "$@" 2>> "$E2E_WORK/balloond.log" &
        bpid=$!
}
field() { jq -r --arg n "$1" ".vms[] | select(.name == \$n) | .$2" "$status" 2>/dev/null; } # VM FIELD
cycles() { jq -r .cycles "$status" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
total_actual() { echo $(( $(e2e_actual bd-g1) + $(e2e_actual bd-g2) + $(e2e_actual bd-db) )); }
wait_until() { # SECONDS COMMAND...
        local deadline=$(($(date +%s) + $1))
        shift
        while [ "$(date +%s)" -le "$deadline" ]; do "$@" && return 0; sleep 0.2; done
        return 1
}
db_untouched() { [ "$(e2e_actual bd-db)" = "$max_kib" ]; }
no_oom() { [ -z "$(e2e_oom)" ]; }

# f) dry run: decisions described, nothing changed.
conf "$budget_mib"
start_daemon --dry-run
cycled() { [ "$(cycles)" -ge "$1" ]; }
check "f) dry run cycles" wait_until 20 cycled 4
check "f) dry run decided to shrink" grep -q 'dry run: bd-g1: shrink' "$E2E_WORK/balloond.log"
for g in bd-g1 bd-g2 bd-db; do check "f) $g unchanged in libvirt" eq "$(e2e_actual $g)" "$max_kib"; done
stop_daemon

# a) + c) the idle guests shrink to fit the budget; the database never.
t0=$(now)
start_daemon
fit() { [ "$(total_actual)" -le $((budget_mib * MiB)) ]; }
check "a) the guests fit the budget" wait_until 120 fit
t_fit=$(since "$t0") c_fit=$(cycles)
say "a) budget met after ${t_fit} s, ${c_fit} cycles"
sleep 3
for g in bd-g1 bd-g2; do
        actual=$(e2e_actual $g) floor=$(field $g floor_kib) total=$(e2e_guest $g total)
        check "a) $g shrank ($actual KiB)" test "$actual" -lt "$max_kib"
        check "a) $g not below its floor ($actual >= $floor)" test "$actual" -ge "$floor"
        check "a) $g's own MemTotal shrank with it ($total KiB)" test "$total" -lt $((actual + 1)) -a "$total" -lt $((900 * MiB))
done
check "c) bd-db never shrunk" db_untouched
check "c) bd-db excluded as a database" eq "$(field bd-db reason)" excluded_class
check "a) no guest OOM" no_oom

# h) the wall clock steps (the shim moves balloond's CLOCK_REALTIME only):
# the guests' reports are judged by it and look a day old, then a day in
# the future; both are blind, neither is shrunk; the monotonic cycle goes on.
if [ -n "$shim" ]; then
        g1_h=$(e2e_actual bd-g1) g2_h=$(e2e_actual bd-g2)
        reasons() { [ "$(field bd-g1 reason)" = "$1" ] && [ "$(field bd-g2 reason)" = "$1" ]; }
        echo 86400 > "$E2E_WORK/faults/clock-offset"
        check "h) a day ahead: both guests' reports are stale" wait_until 10 reasons stats_stale
        c_h=$(cycles)
        sleep 3
        check "h) cycling on (monotonic) while the wall clock is a day ahead" test "$(cycles)" -ge $((c_h + 2))
        check "h) bd-g1 not shrunk while its report looks stale" test "$(e2e_actual bd-g1)" -ge "$g1_h"
        check "h) bd-g2 not shrunk while its report looks stale" test "$(e2e_actual bd-g2)" -ge "$g2_h"
        echo -86400 > "$E2E_WORK/faults/clock-offset"
        check "h) a day behind: both reports are from the future (impossible)" wait_until 10 reasons stats_invalid
        sleep 2
        check "h) bd-g1 not shrunk while its report is from the future" test "$(e2e_actual bd-g1)" -ge "$g1_h"
        rm -f "$E2E_WORK/faults/clock-offset"
        managed() { [ "$(field bd-g1 status)" = ok ] && [ "$(field bd-g2 status)" = ok ]; }
        check "h) the clock right again: both managed" wait_until 10 managed
        check "h) the guests fit the budget again" wait_until 60 fit
        sleep 3
        check "h) no guest OOM" no_oom
        say "h) wall clock a day ahead and behind: blind both ways, managed again"
else
        echo "SKIP: h) wall-clock steps need the fault shim (second argument)" >&2
fi

# b) a guest starts using memory: its balloon deflates within two cycles.
g1_before=$(e2e_actual bd-g1) g2_before=$(e2e_actual bd-g2)
t0=$(now)
# 200 MiB: less than the guest's free memory at its floor (~289 MiB, the 256
# MiB margin and change). An allocation larger than that, made faster than a
# cycle, runs the guest out of memory before any reactive policy can act: a
# CI run with "hog 300" panicked bd-g1 ("System is deadlocked on memory").
e2e_cmd bd-g1 "hog 200"
grown() { [ "$(e2e_actual bd-g1)" -ge $((g1_before + 200 * MiB)) ]; }
check "b) bd-g1 deflated" wait_until 30 grown
t_hog=$(since "$t0")
say "b) hog 200 MiB -> bd-g1 deflated after ${t_hog} s"
# Two cycles (2 s) + the stats period (1 s) + the guest writing 200 MiB under TCG (~1 s).
check "b) within two cycles of the guest reporting it: ${t_hog} s" awk -v t="$t_hog" 'BEGIN { exit !(t <= 5.0) }'
wait_until 10 e2e_done bd-g1 "hog 200"
sleep 2
check "b) bd-g1's own MemAvailable is back above its 256 MiB margin" test "$(e2e_guest bd-g1 avail)" -ge $((256 * MiB))
check "b) bd-g2 did not grow meanwhile" test "$(e2e_actual bd-g2)" -le "$g2_before"
check "b) bd-db still untouched" db_untouched
check "b) no guest OOM" no_oom

# g) pressure ends: no budget, a host with RAM to spare -> back to the maxima.
e2e_cmd bd-g1 unhog
wait_until 10 e2e_done bd-g1 unhog
t0=$(now)
conf 0
kill -HUP "$bpid"
at_max() { [ "$(e2e_actual bd-g1)" = "$max_kib" ] && [ "$(e2e_actual bd-g2)" = "$max_kib" ]; }
check "g) balloons deflated back to the maxima" wait_until 30 at_max
t_back=$(since "$t0")
say "g) budget lifted -> all guests at their maxima after ${t_back} s"
sleep 2
for g in bd-g1 bd-g2; do
        check "g) $g's own MemTotal is back" test "$(e2e_guest $g total)" -ge $((900 * MiB))
done
check "g) no guest OOM" no_oom

# e) bd-g2's balloon driver goes away, then pressure returns: its balloon
# cannot follow -> stuck, and bd-g1 gives in its place.
e2e_cmd bd-g2 nodriver
wait_until 10 e2e_done bd-g2 nodriver
conf "$budget_mib"
kill -HUP "$bpid"
stuck() { [ "$(field bd-g2 status)" = stuck ]; }
check "e) bd-g2 found stuck" wait_until 30 stuck
check "e) reported" grep -q 'bd-g2: balloon is not moving toward its target' "$E2E_WORK/balloond.log"
check "e) bd-g2 did not move" eq "$(e2e_actual bd-g2)" "$max_kib"
g1_now=$(e2e_actual bd-g1)
carried() { [ "$(e2e_actual bd-g1)" -lt "$g1_now" ]; }
check "e) bd-g1 carries its share" wait_until 30 carried
check "e) bd-db still untouched" db_untouched
check "e) no guest OOM" no_oom

# d) bd-g1's stats stop behind balloond's back: blind, never shrunk further.
t0=$(now)
V dommemstat bd-g1 --period 0 --live >/dev/null
blind() { [ "$(field bd-g1 status)" = blind ]; }
check "d) bd-g1 became blind" wait_until 40 blind
t_blind=$(since "$t0")
say "d) stats stopped -> bd-g1 blind after ${t_blind} s"
g1_blind=$(e2e_actual bd-g1)
sleep 4
check "d) bd-g1 not shrunk while blind" test "$(e2e_actual bd-g1)" -ge "$g1_blind"
check "d) reported" grep -q 'bd-g1: blind: the guest' "$E2E_WORK/balloond.log"

# The end of pressure again: a blind guest gets its memory back
# (blind_action = "deflate"), the stuck one never left its maximum.
conf 0
kill -HUP "$bpid"
check "blind bd-g1 given its memory back" wait_until 30 at_max
check "bd-db untouched to the end" db_untouched
check "no guest OOM or panic in any console" no_oom
check "balloond still running" kill -0 "$bpid"
echo "E2E timings: budget met ${t_fit} s (${c_fit} cycles); hog->deflate ${t_hog} s; stats stop->blind ${t_blind} s; pressure end->maxima ${t_back} s"
finish
