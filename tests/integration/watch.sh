#!/bin/bash
# Between cycles balloond reads the host's memory every second: a host out of
# RAM (MemAvailable under 16 MiB) gets a cycle every second, not every
# interval (30 s here), said once; once it has RAM again, cycles follow the
# interval. On libvirt's in-process test driver (test:///default, no
# libvirtd) with a host memory file the test writes.
# Usage: bash watch.sh BALLOOND
set -u
balloond=${1:?usage: watch.sh BALLOOND}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need jq
work=$(mktemp -d /tmp/balloond-watch.XXXXXX)
bpid=
cleanup() {
        [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
status=$work/status.json log=$work/balloond.log meminfo=$work/meminfo

memavail() { # KIB: the host's MemAvailable, written whole
        printf 'MemTotal:       16777216 kB\nMemFree:        %s kB\nMemAvailable:   %s kB\n' "$1" "$1" > "$meminfo.new"
        mv "$meminfo.new" "$meminfo"
}
cycles() { jq -r .cycles "$status" 2>/dev/null || echo 0; }
at_least() { [ "$(cycles)" -ge "$1" ]; }
said() { grep -c -- "$1" "$log"; }

memavail 0
printf 'connect = "test:///default";\ninterval_sec = 30;\nhost = { meminfo_path = "%s"; };\n' "$meminfo" > "$work/balloond.conf"
"$balloond" -c "$work/balloond.conf" --dry-run --status-file "$status" >"$log" 2>&1 &
bpid=$!
check "balloond cycles" wait_for 30 at_least 1
check "out of RAM: a cycle every second, not every 30 s" wait_for 20 at_least 4
check "out of RAM: said once" eq "$(said 'the host is out of RAM')" 1

memavail 8388608
check "RAM again: said" wait_for 10 grep -q 'the host has RAM again' "$log"
c0=$(cycles)
sleep 3
c1=$(cycles)
echo "watch: $((c1 - c0)) cycles in the 3 s after the host had RAM again"
check "RAM again: cycles follow the 30 s interval ($((c1 - c0)) in 3 s)" test $((c1 - c0)) -le 1
check "still running" kill -0 "$bpid"
finish
