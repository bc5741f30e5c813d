#!/bin/bash
# One wedged domain does not stall the others (issue 17, item 5): balloond
# runs as a service (a cycle every 0.5 s, the systemd watchdog at 2 s, the
# notification socket a datagram sink of ours) against a libvirtd started
# here (test driver, the fixture's domains, the host critical so that the
# ordinary VMs keep shrinking), under tests/tools/fault-shim.c, which makes
# the call setting app1's memory take 20 s, as QEMU does for a domain whose
# job is held. Checked while that call is out: balloond keeps cycling at its
# pace, keeps changing the other VMs, pings the watchdog at least every 2 s,
# calls app1 once (the VM is skipped, not retried every cycle) and says so;
# once the call returns, its late result is logged and app1 is managed
# again. Then, restarted with the shim refusing the bulk stats call's
# NOWAIT flag (as a libvirt before 4.5 would): balloond says so once and
# keeps cycling without it.
# Usage: bash wedged.sh BALLOOND FAULT-SHIM.so DGRAM-SINK (KEEP=1 keeps $work).
set -u
balloond=${1:-} shim=${2:-} sink=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data" && pwd)
. "$here/lib.sh"
. "$here/libvirtd.sh"
need jq virsh libvirtd awk
[ -x "$balloond" ] && [ -f "$shim" ] && [ -x "$sink" ] || { echo "usage: $0 BALLOOND FAULT-SHIM.so DGRAM-SINK" >&2; exit 2; }
work=$(mktemp -d /tmp/balloond-wedged.XXXXXX)
chmod 0755 "$work"
bpid= spid=
cleanup() { libvirtd_test_cleanup "$bpid" "$spid"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
ORDINARY="web1 web2 app1"
EXCLUDED="nob1 paused1 pg1 db-orders tagged1"
DELAY=20
log=$work/balloond.log status=$work/status.json

libvirtd_start
libvirtd_define_fixture
# Critical (a 20 GiB budget for 28 GiB of VMs), a 1 s cooldown: the
# ordinary VMs shrink every second.
sed -e "s|@DATA@|$data|" "$data/testdriver.conf" |
        awk '/^guest = \{/ { print; print "  cooldown_sec = 1;"; next } { print }' > "$work/balloond.conf"
mkdir -p "$work/faults"
echo "app1 $DELAY" > "$work/faults/delay-set"

size() { virsh -c "$uri" dominfo "$1" 2>/dev/null | awk '/^Used memory:/ { print $3 }'; }
cycles() { jq -r .cycles "$status" 2>/dev/null || echo 0; }
logged() { grep -qE -- "$1" "$log"; }
calls() { grep -c "fault-shim: delaying the call setting app1" "$log"; }
pings() { grep -c '^WATCHDOG=1' "$work/notify.log" 2>/dev/null || echo 0; }
below() { [ "$(size "$1")" -lt "$2" ]; }

"$sink" "$work/notify.sock" "$work/notify.log" & spid=$!
wait_for 5 test -S "$work/notify.sock" || { echo "FAIL: the notification sink did not start" >&2; exit 1; }
env LD_PRELOAD="$shim" BALLOOND_FAULT_DIR="$work/faults" NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=2000000 \
        ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
        "$balloond" -c "$work/balloond.conf" --connect "$uri" --status-file "$status" --interval 0.5 \
        > "$log" 2>&1 &
bpid=$!
check "balloond cycles" wait_for 60 cycles_past 1
check "app1's call is made (and held $DELAY s)" wait_for 30 logged "fault-shim: delaying the call setting app1"
t0=$(date +%s)
check "balloond says app1's call overran and leaves it alone" \
        wait_for 10 logged "app1: setting memory to [0-9]+ MiB: no answer within"
declare -A at
for v in web1 web2; do at[$v]=$(size "$v"); done
c0=$(cycles) p0=$(pings)
# While the call is out (until t0 + DELAY): every 2 s, cycles and pings.
stalls=0 quiet=0 prev_c=$c0 prev_p=$p0
while [ $(($(date +%s) - t0)) -lt $((DELAY - 4)) ]; do
        sleep 2
        c=$(cycles) p=$(pings)
        [ "$c" -gt "$prev_c" ] || stalls=$((stalls + 1))
        [ "$p" -gt "$prev_p" ] || quiet=$((quiet + 1))
        prev_c=$c prev_p=$p
done
elapsed=$(($(date +%s) - t0))
c1=$(cycles)
echo "while app1's call was out: $((c1 - c0)) cycles, $(($(pings) - p0)) watchdog pings in about $elapsed s"
check "no 2 s without a cycle while app1's call is out" eq "$stalls" 0
check "no 2 s without a watchdog ping" eq "$quiet" 0
check "cycles at pace (at least one a second)" test $((c1 - c0)) -ge $((elapsed - 2))
for v in web1 web2; do
        check "$v changed while app1's call was out" below "$v" "${at[$v]}"
done
check "app1 called once while its call is out (skipped, not retried)" eq "$(calls)" 1
check "still running" kill -0 "$bpid"
rm -f "$work/faults/delay-set"
check "the late call's result is logged" wait_for $((DELAY + 10)) logged "app1: the late call setting its memory to [0-9]+ MiB returned after"
a1=$(size app1)
check "app1 managed again after its call returned" in_cycles 20 below app1 "$a1"
kill -TERM "$bpid"
wait "$bpid"
rc=$?
bpid=
check "balloond stopped cleanly (exit $rc)" eq "$rc" 0
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$log'"
check "the bulk stats call asked with NOWAIT (the test driver takes it)" bash -c "! grep -q 'cannot be asked for without waiting' '$log'"
[ "$FAIL" -eq 0 ] || tail -30 "$log" >&2

# A libvirt that refuses NOWAIT: asked without it, said once.
touch "$work/faults/refuse-nowait"
log=$work/balloond-nowait.log status=$work/status-nowait.json
env LD_PRELOAD="$shim" BALLOOND_FAULT_DIR="$work/faults" \
        ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
        "$balloond" -c "$work/balloond.conf" --connect "$uri" --status-file "$status" --interval 0.5 \
        > "$log" 2>&1 &
bpid=$!
check "without NOWAIT: cycling" wait_for 60 cycles_past 4
check "without NOWAIT: the flag was refused" logged "fault-shim: refusing the bulk stats call's NOWAIT flag"
check "without NOWAIT: said once" eq "$(grep -c 'cannot be asked for without waiting' "$log")" 1
check "without NOWAIT: refused once, then not asked" eq "$(grep -c 'fault-shim: refusing' "$log")" 1
kill -TERM "$bpid"
wait "$bpid"
rc=$?
bpid=
check "without NOWAIT: stopped cleanly (exit $rc)" eq "$rc" 0
[ "$FAIL" -eq 0 ] || tail -30 "$log" >&2
finish
