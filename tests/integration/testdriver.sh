#!/bin/bash
# balloond against libvirt's test driver, a real libvirt:
#   dryrun: one --once --dry-run cycle in process (test:///...), every row
#           checked against the fixture;
#   apply:  the service, through a libvirtd started here (test+unix://...),
#           for a few cycles: the sizes libvirt reports go down as decided,
#           excluded VMs never move.
# The test driver's guest stats are a fixed function of the current size
# (usable = current / 2) with a last-update from 1989; see testdriver.conf.
set -u
mode=$1 balloond=$2
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data" && pwd)
. "$here/lib.sh"
need jq virsh
work=$(mktemp -d /tmp/balloond-td.XXXXXX)
cleanup() {
        [ -n "${bpid:-}" ] && kill "$bpid" 2>/dev/null
        [ -s "$work/libvirtd.pid" ] && kill "$(cat "$work/libvirtd.pid")" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT INT TERM
sed "s|@DATA@|$data|" "$data/testdriver.conf" > "$work/balloond.conf"
MiB=1024

vm() { jq -r --arg n "$2" ".vms[] | select(.name == \$n) | .$3" "$1"; }

dryrun() {
        local out="$work/once.json" rc
        "$balloond" -c "$work/balloond.conf" --connect "test://$data/testdriver.xml" --once --dry-run --json > "$out"
        rc=$?
        check "--once --dry-run --json exits 0" eq "$rc" 0
        check "JSON says dry run" eq "$(jq -r .dry_run "$out")" true
        check "host is critical (VMs hold 22 GiB of a 20 GiB budget)" eq "$(jq -r .host.band "$out")" critical
        check "budget binds" eq "$(jq -r .host.budget_binds "$out")" true
        check "eight domains" eq "$(jq '.vms | length' "$out")" 8
        # Excluded, each for its reason.
        check "nob1: no balloon" eq "$(vm "$out" nob1 reason)" no_balloon
        check "paused1: paused" eq "$(vm "$out" paused1 reason)" paused
        check "off1: shut off" eq "$(vm "$out" off1 reason)" shut_off
        check "off1 state" eq "$(vm "$out" off1 state)" shut_off
        check "pg1: database by metadata" eq "$(vm "$out" pg1 reason)" excluded_class
        check "db-orders: database by a name rule" eq "$(vm "$out" db-orders reason)" excluded_class
        for v in nob1 paused1 off1 pg1 db-orders; do
                check "$v excluded" eq "$(vm "$out" $v status)" excluded
                check "$v untouched" eq "$(vm "$out" $v action)" none
                check "$v applied nothing" eq "$(vm "$out" $v applied)" false
        done
        # Ordinary VMs: critical, so each may give twice min(5 %, 256 MiB);
        # the 1 GiB host cap binds, shared by weight (used + 4 x idle) / shares:
        # web1 341.33 MiB, web2 170.67 MiB, app1 512 MiB (its limit); the KiB the
        # rounding down leaves goes to the heaviest giver, web1.
        for v in web1 web2 app1; do
                check "$v shrinks" eq "$(vm "$out" $v action)" shrink
                check "$v reason" eq "$(vm "$out" $v reason)" host_critical
                check "$v nothing applied in dry run" eq "$(vm "$out" $v applied)" false
        done
        check "app1 limit: 2 x 256 MiB" eq "$(vm "$out" app1 limit_kib)" $((512 * MiB))
        check "app1 target" eq "$(vm "$out" app1 target_kib)" $((7680 * MiB))
        check "web1 target" eq "$(vm "$out" web1 target_kib)" 3844778
        check "web2 target" eq "$(vm "$out" web2 target_kib)" 1922390
        check "web1 floor: used 2 GiB + 20 %" eq "$(vm "$out" web1 floor_kib)" $((2048 * MiB + 2048 * MiB / 5))
        check "host shrink is the 1 GiB cap" eq "$(jq -r .host.shrink_kib "$out")" $((1024 * MiB))
        # The table, for people.
        "$balloond" -c "$work/balloond.conf" --connect "test://$data/testdriver.xml" --once --dry-run > "$work/table"
        check "table header" grep -qE '^NAME +STATE +STATUS +ACTUAL +TARGET +USABLE +ACTION +REASON' "$work/table"
        check "table row web1" grep -qE '^web1 +running +ok +4096 +3754 +2048 +shrink +host_critical' "$work/table"
        check "table row nob1" grep -qE '^nob1 +running +excluded +- +- +- +none +no_balloon' "$work/table"
}

apply() {
        local uri status="$work/status.json" i
        mkdir -p "$work/sock"
        getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
        getent passwd libvirt-qemu >/dev/null ||
                useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
        printf 'unix_sock_dir="%s"\nlog_outputs="3:file:%s"\n' "$work/sock" "$work/libvirtd.log" > "$work/libvirtd.conf"
        if ! libvirtd -d -f "$work/libvirtd.conf" -p "$work/libvirtd.pid"; then
                echo "FAIL: libvirtd did not start" >&2
                exit 1
        fi
        uri="test+unix://$data/testdriver.xml?socket=$work/sock/libvirt-sock"
        for i in $(seq 100); do virsh -c "$uri" uri >/dev/null 2>&1 && break; sleep 0.1; done
        if ! virsh -c "$uri" uri >/dev/null 2>&1; then
                echo "FAIL: libvirtd does not answer on $uri" >&2
                tail -20 "$work/libvirtd.log" >&2
                exit 1
        fi
        # Cycles every second, no cooldown: each cycle shrinks again.
        cat >> "$work/balloond.conf" <<CONF
interval_sec = 1;
restore_on_exit = true;
CONF
        sed -i 's/check_stats_age = false;/check_stats_age = false;\n  cooldown_sec = 0;/' "$work/balloond.conf"
        "$balloond" -c "$work/balloond.conf" --connect "$uri" --status-file "$status" 2> "$work/balloond.log" &
        bpid=$!
        for i in $(seq 100); do
                [ -s "$status" ] && [ "$(jq -r .cycles "$status" 2>/dev/null)" -ge 4 ] 2>/dev/null && break
                sleep 0.1
        done
        kill -TERM "$bpid"
        wait "$bpid"
        check "service exits 0 on SIGTERM" eq "$?" 0
        bpid=
        check "status file written" test -s "$status"
        check "at least 4 cycles" test "$(jq -r .cycles "$status")" -ge 4
        # What libvirt reports now (the daemon's own connection: the test
        # driver keeps state per connection).
        for v in web1 web2 app1; do
                local actual floor max
                actual=$(vm "$status" $v actual_kib)
                max=$(vm "$status" $v max_kib)
                floor=$(vm "$status" $v floor_kib)
                check "$v shrank in libvirt ($actual < $max)" test "$actual" -lt "$max"
                check "$v not below its floor ($actual >= $floor)" test "$actual" -ge "$floor"
        done
        check "app1 gave 512 MiB in the first cycle and more since" \
                test "$(vm "$status" app1 actual_kib)" -le $((7680 * MiB))
        for v in pg1 db-orders; do
                check "$v untouched in libvirt" eq "$(vm "$status" $v actual_kib)" $((4096 * MiB))
        done
        check "decisions were logged with their numbers" \
                grep -qE 'web1: shrink 4096 -> 3754 MiB: host memory critical' "$work/balloond.log"
        check "no error logged" test -z "$(grep -E 'error|failed' "$work/balloond.log")"
        # restore_on_exit: on SIGTERM the three it shrank got their memory back.
        for v in web1 web2 app1; do
                check "$v restored on exit" grep -q "$v: memory given back on exit" "$work/balloond.log"
        done
        check "three restored" grep -q "restore_on_exit: 3 VMs given their memory back" "$work/balloond.log"
}

case "$mode" in
dryrun) dryrun ;;
apply) apply ;;
*) echo "usage: $0 dryrun|apply BALLOOND" >&2; exit 2 ;;
esac
finish
