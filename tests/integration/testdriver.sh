#!/bin/bash
# balloond against libvirt's test driver, a real libvirt:
#   dryrun: --once --dry-run in process (test:///ABS/testdriver.xml), every
#           row checked against the fixture, in the critical band (the host
#           cap binds) and in the pressure band (each VM gives exactly its
#           limit, min(5 % of its size, 256 MiB));
#   apply:  the same domains defined in a libvirtd started here
#           (test+unix:///default: one driver shared by every connection
#           while one stays open), `balloond --once` twice, then the service
#           for a few cycles, each checked with virsh on a connection of its
#           own: the sizes libvirt reports went down by exactly the expected
#           amounts, excluded, paused and balloon-less VMs never moved, a
#           metadata change is seen at once, and restore_on_exit gives the
#           memory back.
# The test driver's guest stats are a fixed function of the current size
# (usable = current / 2) with a last-update from 1989; see testdriver.conf.
# Usage: bash testdriver.sh dryrun|apply /path/to/balloond (KEEP=1 keeps the
# work directory: configs, JSON, logs, libvirt's events).
set -u
mode=${1:-} balloond=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data" && pwd)
. "$here/lib.sh"
. "$here/libvirtd.sh"
need jq virsh libvirtd awk
[ -x "$balloond" ] || { echo "usage: $0 dryrun|apply BALLOOND (not executable: '$balloond')" >&2; exit 2; }
work=$(mktemp -d /tmp/balloond-td.XXXXXX)
bpid= holder=
cleanup() { libvirtd_test_cleanup "$bpid"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
MiB=1024
NS=https://balloond.org/xmlns/vm/1
ORDINARY="web1 web2 app1"
EXCLUDED="nob1 paused1 pg1 db-orders"

# The fixture config with a VM budget of $1 MiB (20 GiB in the file: the
# VMs' 26 GiB leave nothing free, critical; 30 GiB leaves 13 %, pressure).
config() { # BUDGET_MIB OUT
        sed -e "s|@DATA@|$data|" -e "s|vm_budget_mib = 20480;|vm_budget_mib = $1;|" "$data/testdriver.conf" > "$2"
        grep -q "vm_budget_mib = $1;" "$2" || { echo "FAIL: cannot set the budget in $2" >&2; exit 1; }
}
config 20480 "$work/critical.conf"
config 30720 "$work/pressure.conf"
# The apply test adds tagged1 (2 GiB): 28 of 32 GiB, 12.5 % free, pressure.
config 32768 "$work/apply.conf"

vm() { jq -r --arg n "$2" ".vms[] | select(.name == \$n) | .$3" "$1"; }
# One pressure-band step: a VM of A KiB gives min(5 % of A, 256 MiB).
step() { local a=$1 l=$(($1 * 5 / 100)); [ "$l" -gt $((256 * MiB)) ] && l=$((256 * MiB)); echo $((a - l)); }

dryrun() {
        local out="$work/critical.json" p="$work/pressure.json" rc v a
        "$balloond" -c "$work/critical.conf" --connect "test://$data/testdriver.xml" --once --dry-run --json > "$out"
        rc=$?
        check "--once --dry-run --json exits 0" eq "$rc" 0
        check "JSON says dry run" eq "$(jq -r .dry_run "$out")" true
        check "host is critical (VMs hold 26 GiB of a 20 GiB budget)" eq "$(jq -r .host.band "$out")" critical
        check "budget binds" eq "$(jq -r .host.budget_binds "$out")" true
        check "paused and balloon-less VMs count in the budget" eq "$(jq -r .host.vm_total_kib "$out")" $((26 * 1024 * MiB))
        check "eight domains, the shut-off one too" eq "$(jq '.vms | length' "$out")" 8
        # Excluded, each for its reason.
        check "nob1: no balloon" eq "$(vm "$out" nob1 reason)" no_balloon
        check "paused1: paused" eq "$(vm "$out" paused1 reason)" paused
        check "paused1 state" eq "$(vm "$out" paused1 state)" paused
        check "off1: shut off" eq "$(vm "$out" off1 reason)" shut_off
        check "off1 state" eq "$(vm "$out" off1 state)" shut_off
        check "pg1: database by metadata" eq "$(vm "$out" pg1 reason)" excluded_class
        check "db-orders: database by a name rule" eq "$(vm "$out" db-orders reason)" excluded_class
        for v in $EXCLUDED off1; do
                check "$v excluded" eq "$(vm "$out" "$v" status)" excluded
                check "$v untouched" eq "$(vm "$out" "$v" action)" none
                check "$v applied nothing" eq "$(vm "$out" "$v" applied)" false
        done
        for v in nob1 paused1; do
                check "$v size known (2 GiB)" eq "$(vm "$out" $v actual_kib)" $((2048 * MiB))
        done
        check "off1 holds nothing" eq "$(vm "$out" off1 actual_kib)" null
        check "off1 maximum from its XML" eq "$(vm "$out" off1 max_kib)" $((2048 * MiB))
        check "paused1 has no guest stats" eq "$(vm "$out" paused1 usable_kib)" null
        # Ordinary VMs: critical, so each may give twice min(5 %, 256 MiB);
        # the 1 GiB host cap binds, shared by weight (used + 4 x idle) / shares:
        # web1 341.33 MiB, web2 170.67 MiB, app1 512 MiB (its limit); the KiB the
        # rounding down leaves goes to the heaviest giver, web1.
        for v in $ORDINARY; do
                check "$v shrinks" eq "$(vm "$out" $v action)" shrink
                check "$v reason" eq "$(vm "$out" $v reason)" host_critical
                check "$v status" eq "$(vm "$out" $v status)" ok
                check "$v nothing applied in dry run" eq "$(vm "$out" $v applied)" false
                check "$v guest stats from the per-domain call" eq "$(vm "$out" $v usable_kib)" \
                        $(($(vm "$out" $v actual_kib) / 2))
        done
        check "app1 limit: 2 x 256 MiB" eq "$(vm "$out" app1 limit_kib)" $((512 * MiB))
        check "web1 limit: 2 x 5 %" eq "$(vm "$out" web1 limit_kib)" $((4096 * MiB * 5 / 100 * 2))
        check "app1 target" eq "$(vm "$out" app1 target_kib)" $((7680 * MiB))
        check "web1 target" eq "$(vm "$out" web1 target_kib)" 3844778
        check "web2 target" eq "$(vm "$out" web2 target_kib)" 1922390
        check "web1 floor: used 2 GiB + 20 %" eq "$(vm "$out" web1 floor_kib)" $((2048 * MiB + 2048 * MiB / 5))
        check "host shrink is the 1 GiB cap" eq "$(jq -r .host.shrink_kib "$out")" $((1024 * MiB))
        check "the VMs' shrinks add up to the cap" eq \
                "$(jq '[.vms[] | select(.action == "shrink") | .actual_kib - .target_kib] | add' "$out")" $((1024 * MiB))
        # The table, for people.
        "$balloond" -c "$work/critical.conf" --connect "test://$data/testdriver.xml" --once --dry-run > "$work/table"
        check "table header" grep -qE '^NAME +STATE +STATUS +ACTUAL +TARGET +USABLE +ACTION +REASON' "$work/table"
        check "table row web1" grep -qE '^web1 +running +ok +4096 +3754 +2048 +shrink +host_critical' "$work/table"
        check "table row nob1" grep -qE '^nob1 +running +excluded +2048 +2048 +- +none +no_balloon' "$work/table"
        check "table row off1" grep -qE '^off1 +shut_off +excluded +- +- +- +none +shut_off' "$work/table"

        # Pressure: free 13.3 %, the goal (22 %) is more than all limits
        # together, so each VM gives exactly min(5 % of its size, 256 MiB).
        "$balloond" -c "$work/pressure.conf" --connect "test://$data/testdriver.xml" --once --dry-run --json > "$p"
        check "pressure run exits 0" eq "$?" 0
        check "host is in the pressure band" eq "$(jq -r .host.band "$p")" pressure
        for v in $ORDINARY; do
                a=$(vm "$p" $v actual_kib)
                check "$v shrinks under pressure" eq "$(vm "$p" $v reason)" host_pressure
                check "$v target: min(5 %, 256 MiB) less" eq "$(vm "$p" $v target_kib)" "$(step "$a")"
        done
        check "app1 gives 256 MiB" eq "$(vm "$p" app1 target_kib)" $((7936 * MiB))
        for v in $EXCLUDED; do
                check "$v excluded under pressure" eq "$(vm "$p" "$v" action)" none
        done
}

# `virsh dominfo`'s current size, in KiB, seen on a new connection.
used() { virsh -c "$uri" dominfo "$1" | awk '/^Used memory:/ { print $3 }'; }
period() { virsh -c "$uri" dumpxml "$1" | sed -n "s/.*<stats period='\([0-9]*\)'.*/\1/p"; }
status_is() { [ "$(jq -r "$1" "$status" 2>/dev/null)" = true ]; } # JQ-FILTER: the service's status file says true
cycles() { jq -r .cycles "$status" 2>/dev/null || echo 0; }

start_libvirtd() { libvirtd_start && libvirtd_define_fixture; }

apply() {
        local r1="$work/run1.json" r2="$work/run2.json" svc="$work/service.conf" v a
        local -A before want
        status="$work/status.json"
        EXCLUDED="$EXCLUDED tagged1"
        start_libvirtd
        check "nine domains defined" eq "$(virsh -c "$uri" list --all --name | grep -c .)" 9
        check "paused1 is paused" eq "$(virsh -c "$uri" domstate paused1)" paused
        for v in $ORDINARY $EXCLUDED; do before[$v]=$(used "$v"); done
        check "app1 starts at 8 GiB" eq "${before[app1]}" $((8192 * MiB))
        check "app1 has no stats period" eq "$(period app1)" ""

        # A dry run changes nothing: no size, and no stats period either.
        "$balloond" -c "$work/apply.conf" --connect "$uri" --once --dry-run -v --json > "$work/dry.json" \
                2> "$work/dry.log"
        check "dry run exits 0" eq "$?" 0
        check "dry run says so" eq "$(jq -r .dry_run "$work/dry.json")" true
        check "app1: the dry run would shrink it" eq "$(vm "$work/dry.json" app1 action)" shrink
        check "app1: the dry run left its stats period alone" eq "$(period app1)" ""
        check "app1: the dry run says it would arm it" \
                eq "$(grep -c 'app1: no balloon stats period; would arm it at 2 s (dry run' "$work/dry.log")" 1
        for v in $ORDINARY $EXCLUDED; do
                check "$v: the dry run left its size alone" eq "$(used "$v")" "${before[$v]}"
        done

        # Two cycles, two processes: each shrinks each ordinary VM by exactly
        # min(5 %, 256 MiB) of what the previous one left.
        "$balloond" -c "$work/apply.conf" --connect "$uri" --once --json > "$r1"
        check "first --once exits 0" eq "$?" 0
        check "first run applies" eq "$(jq -r .dry_run "$r1")" false
        for v in $ORDINARY; do
                want[$v]=$(step "${before[$v]}")
                check "$v: run 1 shrinks" eq "$(vm "$r1" $v action)" shrink
                check "$v: run 1 applied" eq "$(vm "$r1" $v applied)" true
                check "$v: run 1 no error" eq "$(vm "$r1" $v error)" null
                check "$v: run 1 target" eq "$(vm "$r1" $v target_kib)" "${want[$v]}"
                check "$v: libvirt has the run 1 size" eq "$(used $v)" "${want[$v]}"
        done
        check "run 1 in the pressure band" eq "$(jq -r .host.band "$r1")" pressure
        check "tagged1: excluded by its metadata (default namespace)" eq "$(vm "$r1" tagged1 reason)" excluded_metadata
        check "web1: another application's metadata does not count" eq "$(vm "$r1" web1 reason)" host_pressure
        check "app1: its stats period armed (the configured 2 s)" eq "$(period app1)" 2
        check "web1: its own stats period kept" eq "$(period web1)" 2
        check "paused1: not armed while paused" eq "$(period paused1)" ""
        "$balloond" -c "$work/apply.conf" --connect "$uri" --once --json > "$r2"
        check "second --once exits 0" eq "$?" 0
        for v in $ORDINARY; do
                check "$v: run 2 starts where run 1 left it" eq "$(vm "$r2" $v actual_kib)" "${want[$v]}"
                want[$v]=$(step "${want[$v]}")
                check "$v: run 2 target" eq "$(vm "$r2" $v target_kib)" "${want[$v]}"
                check "$v: libvirt has the run 2 size" eq "$(used $v)" "${want[$v]}"
        done
        check "app1 gave 2 x 256 MiB" eq "$(used app1)" $((7680 * MiB))
        for v in $EXCLUDED; do
                check "$v: never applied" eq "$(vm "$r1" "$v" applied)$(vm "$r2" "$v" applied)" falsefalse
                check "$v: unchanged in libvirt" eq "$(used "$v")" "${before[$v]}"
        done

        # The service: a cycle a second, no cooldown, memory back on exit.
        cp "$work/apply.conf" "$svc"
        sed -i 's/check_stats_age = false;/check_stats_age = false;\n  cooldown_sec = 0;/' "$svc"
        printf 'interval_sec = 1;\nrestore_on_exit = true;\n' >> "$svc"
        check "service config is valid" eq "$("$balloond" -c "$svc" --check-config)" "configuration OK"
        "$balloond" -c "$svc" --connect "$uri" --status-file "$status" 2> "$work/balloond.log" &
        bpid=$!
        check "service cycles" wait_for 60 status_is '.cycles >= 2'
        check "service shrinks web2 further" test "$(used web2)" -lt "${want[web2]}"
        # Tag web2 while it runs: the metadata event makes balloond read its
        # XML again (no restart), and it is left alone from the next cycle.
        virsh -q -c "$uri" metadata web2 "$NS" --key bd --set "<vm exclude='yes'/>" --live >/dev/null
        check "metadata event sent" wait_for 30 grep -qF "metadata-change' for domain 'web2'" "$work/events"
        check "web2 excluded by its new metadata" \
                in_cycles 3 status_is '.vms[] | select(.name == "web2") | .reason == "excluded_metadata"'
        a=$(used web2)
        # A domain that starts while balloond runs is picked up, armed.
        virsh -q -c "$uri" start off1 >/dev/null
        check "off1 picked up running" in_cycles 3 status_is '.vms[] | select(.name == "off1") | .state == "running"'
        check "off1: its stats period armed" eq "$(period off1)" 2
        check "more cycles" wait_cycles 2
        check "web2 not shrunk once excluded" eq "$(used web2)" "$a"
        kill -TERM "$bpid"
        wait "$bpid"
        check "service exits 0 on SIGTERM" eq "$?" 0
        bpid=
        for v in $EXCLUDED; do
                check "$v: unchanged in libvirt after the service" eq "$(used "$v")" "${before[$v]}"
        done
        check "decisions were logged with their numbers" \
                grep -qE 'web1: shrink [0-9]+ -> [0-9]+ MiB: host under memory pressure.*guest free [0-9]+ MiB, floor' \
                "$work/balloond.log"
        check "no error logged" test -z "$(grep -iE 'error|failed' "$work/balloond.log")"
        # restore_on_exit: on SIGTERM the four it shrank got their memory back:
        # web2 too (excluded now, but balloond took its memory), and off1
        # (an ordinary VM once started).
        for v in $ORDINARY off1; do
                check "$v restored on exit" grep -q "$v: memory given back on exit" "$work/balloond.log"
                check "$v: back at its maximum in libvirt" eq "$(used $v)" $(($(vm "$status" $v max_kib)))
        done
        check "four restored" grep -q "restore_on_exit: 4 VMs given their memory back" "$work/balloond.log"
}

case "$mode" in
dryrun) dryrun ;;
apply) apply ;;
*) echo "usage: $0 dryrun|apply BALLOOND" >&2; exit 2 ;;
esac
finish
