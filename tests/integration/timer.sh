#!/bin/bash
# The service's cycle timer, on the simulated host (a cycle every 0.1 s): at
# most one cycle per tick, and after balloond could not run for 20 ticks
# (SIGSTOP, as a slow cycle or a loaded host would), one cycle at the next
# tick: the missed ticks are skipped (and said so once), never run back to
# back. Counts are bounded by the time actually measured around them, so a
# slow machine only widens the bound.
# Usage: bash timer.sh BALLOOND
set -u
balloond=${1:?usage: timer.sh BALLOOND}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need jq awk
work=$(mktemp -d /tmp/balloond-timer.XXXXXX)
bpid=
cleanup() {
        [ -n "$bpid" ] && kill -CONT "$bpid" 2>/dev/null && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
interval=0.1
status=$work/status.json log=$work/balloond.log

cycles() { jq -r .cycles "$status" 2>/dev/null || echo 0; }
at_least() { [ "$(cycles)" -ge "$1" ]; }
now() { date +%s.%N; }
# window SECONDS: the cycles run over about that long, and the most ticks
# that fit in the time it really took (one more for a tick at each end).
window() {
        local t0 c0 c1 t1
        t0=$(now) c0=$(cycles)
        sleep "$1"
        c1=$(cycles) t1=$(now)
        ran=$((c1 - c0))
        most=$(awk -v a="$t0" -v b="$t1" -v i="$interval" 'BEGIN { printf "%d", (b - a) / i + 2 }')
}

# -vv: the line for a skip that follows another late tick is a debug one.
"$balloond" -vv --connect sim:// --dry-run --status-file "$status" --interval "$interval" >"$log" 2>&1 &
bpid=$!
check "balloond cycles" wait_for 30 at_least 5

window 2
echo "timer: $ran cycles in a 2 s window (at most $most ticks)"
check "steady: at most one cycle per tick ($ran <= $most)" test "$ran" -le "$most"

# Stopped for 2 s (20 ticks), then let go.
kill -STOP "$bpid"
sleep 2
c0=$(cycles) t0=$(now)
kill -CONT "$bpid"
sleep 1
c1=$(cycles) t1=$(now)
ran=$((c1 - c0))
most=$(awk -v a="$t0" -v b="$t1" -v i="$interval" 'BEGIN { printf "%d", (b - a) / i + 2 }')
echo "timer: $ran cycles in the $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after SIGCONT (at most $most ticks)"
check "after 20 ticks stopped: the missed ticks are not run back to back ($ran <= $most)" test "$ran" -le "$most"
check "after 20 ticks stopped: cycling again" wait_for 30 at_least $((c1 + 2))
# One line for the stop (15 or more ticks: 20, less what the sleeps lost).
said=$(grep -cE 'the cycle timer is [0-9.]+ s late: (1[5-9]|[2-9][0-9]|[0-9]{3,}) missed ticks skipped' "$log")
check "the skipped ticks are said once ($said)" eq "$said" 1
grep -E 'missed ticks? skipped' "$log" | head -n 3
check "still running" kill -0 "$bpid"
finish
