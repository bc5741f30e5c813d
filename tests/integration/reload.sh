#!/bin/bash
# A reload that changes `connect`, then a stop with restore_on_exit (issue
# 17, item 6): the reload frees the old backend, whose samples the last
# cycle's result used to point into. The service starts on the simulated
# host (sim://), is reloaded onto libvirt's in-process test driver
# (test:///default) with a host memory file that cannot be read, so that
# every cycle there fails after collecting while the metrics are still
# exported from the last result, then reloaded back onto sim:// and stopped
# with restore_on_exit. No libvirtd. Registered in the plain and the
# sanitizer builds: under AddressSanitizer, any read of the freed samples
# aborts balloond, which this test sees as a crash.
# Usage: bash reload.sh BALLOOND (KEEP=1 keeps $work).
set -u
balloond=${1:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need jq
[ -x "$balloond" ] || { echo "usage: $0 BALLOOND" >&2; exit 2; }
work=$(mktemp -d /tmp/balloond-reload.XXXXXX)
bpid=
cleanup() {
        [ -n "$bpid" ] && kill -9 "$bpid" 2>/dev/null
        wait 2>/dev/null
        if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
log=$work/balloond.log status=$work/status.json prom=$work/metrics/balloond.prom
mkdir -p "$work/metrics"

conf() { # CONNECT [EXTRA]: the configuration, restore_on_exit on
        printf 'connect = "%s";\nrestore_on_exit = true;\nmetrics = { textfile_dir = "%s"; };\n%s\n' \
                "$1" "$work/metrics" "${2:-}" > "$work/balloond.conf.new"
        mv "$work/balloond.conf.new" "$work/balloond.conf"
}
cycles() { jq -r .cycles "$status" 2>/dev/null || echo 0; }
logged() { grep -qE -- "$1" "$log"; }
count() { grep -cE -- "$1" "$log"; }
exports() { stat -c %y "$prom" 2>/dev/null; }

conf "sim://"
"$balloond" -c "$work/balloond.conf" --status-file "$status" --interval 0.1 > "$log" 2>&1 &
bpid=$!
check "cycling on sim://" wait_for 60 cycles_past 5
check "sim:// VMs in the metrics" wait_for 10 grep -q 'balloond_vm_actual_bytes{domain="web1"' "$prom"

# Onto the test driver, where the host cannot be read: each cycle collects,
# then fails; the metrics are exported from the last result every time.
conf "test:///default" 'host = { meminfo_path = "/nonexistent/meminfo"; };'
kill -HUP "$bpid"
check "reloaded onto test:///default" wait_for 30 logged "configuration reloaded"
check "cycles fail after collecting (host unreadable)" wait_for 30 logged "cannot read host memory \(/nonexistent/meminfo\)"
m0=$(exports)
exported_since() { [ "$(exports)" != "$1" ]; }
check "the metrics exported again after the failing cycles" wait_for 10 exported_since "$m0"
check "still running after failing cycles on the new connection" kill -0 "$bpid"

# Back onto sim://, cycling, then stopped: restore_on_exit runs.
conf "sim://"
kill -HUP "$bpid"
check "reloaded back onto sim://" wait_for 30 bash -c "[ \$(grep -c 'configuration reloaded' '$log') -ge 2 ]"
c=$(cycles)
check "cycling on sim:// again" wait_for 60 cycles_past $((c + 5))
kill -TERM "$bpid"
wait "$bpid"
rc=$?
bpid=
check "stopped cleanly (exit $rc)" eq "$rc" 0
check "restore_on_exit ran" logged "restore_on_exit: [0-9]+ VMs given their memory back"
check "no sanitizer report" bash -c "! grep -q Sanitizer '$log'"
[ "$FAIL" -eq 0 ] && [ "$(count 'Sanitizer')" -eq 0 ] || tail -40 "$log" >&2
finish
