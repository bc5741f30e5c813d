#!/bin/bash
# The real daemon as a service, with real processes around it:
#   - a libvirtd started here serving libvirt's test driver;
#   - the systemd notification socket (NOTIFY_SOCKET) and the journal's
#     native socket, each a datagram sink this test owns (the journal one
#     bind-mounted over /run/systemd/journal in a private mount namespace);
# and checks READY / STATUS / RELOADING / STOPPING, a good and a bad reload,
# libvirtd killed with SIGKILL and restarted (balloond says so once, keeps
# running and resumes), the journal fields of a decision, and balloonctl's
# view against libvirt's.
set -u
balloond=$1 balloonctl=$2 sink=$3
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$here/../data" && pwd)
. "$here/lib.sh"
need jq virsh libvirtd unshare mount
work=$(mktemp -d /tmp/balloond-svc.XXXXXX)
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        [ -s "$work/libvirtd.pid" ] && kill -9 "$(cat "$work/libvirtd.pid")" 2>/dev/null
        wait 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT INT TERM

uri="test+unix://$data/testdriver.xml?socket=$work/sock/libvirt-sock"
start_libvirtd() {
        getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
        getent passwd libvirt-qemu >/dev/null ||
                useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
        mkdir -p "$work/sock"
        printf 'unix_sock_dir="%s"\nlog_outputs="3:file:%s"\n' "$work/sock" "$work/libvirtd.log" > "$work/libvirtd.conf"
        libvirtd -d -f "$work/libvirtd.conf" -p "$work/libvirtd.pid" || { echo "FAIL: libvirtd did not start" >&2; exit 1; }
        for _ in $(seq 600); do virsh -c "$uri" uri >/dev/null 2>&1 && return 0; sleep 0.1; done
        echo "FAIL: libvirtd does not answer on $uri" >&2
        tail -20 "$work/libvirtd.log" >&2
        exit 1
}
cycles() { jq -r .cycles "$work/status.json" 2>/dev/null || echo 0; }
interval_is() { [ "$(jq -r .interval_sec "$work/status.json" 2>/dev/null)" = "$1" ]; }
readies_above() { [ "$(grep -c '^READY=1' "$work/notify.log")" -gt "$1" ]; }

conf() { # the service's configuration, with INTERVAL
        sed "s|@DATA@|$data|" "$data/testdriver.conf" > "$work/balloond.conf"
        printf 'interval_sec = %s;\n' "$1" >> "$work/balloond.conf"
}

start_libvirtd
"$sink" "$work/notify.sock" "$work/notify.log" & pids+=($!)
mkdir -p "$work/journal"
"$sink" "$work/journal/socket" "$work/journal.log" & pids+=($!)
wait_for 5 test -S "$work/notify.sock" && wait_for 5 test -S "$work/journal/socket" ||
        { echo "FAIL: the sinks did not start" >&2; exit 1; }

# balloond under a "journal": stderr is a file whose device:inode is in
# JOURNAL_STREAM, and /run/systemd/journal is our directory.
conf 1
: > "$work/stderr"
stream=$(stat -c '%d:%i' "$work/stderr")
NOTIFY_SOCKET="$work/notify.sock" JOURNAL_STREAM="$stream" WATCHDOG_USEC=2000000 \
        unshare -m sh -c 'mkdir -p /run/systemd/journal && mount --bind "$1" /run/systemd/journal && shift && exec "$@"' \
        sh "$work/journal" "$balloond" -c "$work/balloond.conf" --connect "$uri" --dry-run \
        --status-file "$work/status.json" 2>> "$work/stderr" &
bpid=$!
pids+=($bpid)

check "READY=1 sent" wait_for 60 grep -q '^READY=1' "$work/notify.log"
check "cycling" wait_for 60 cycles_past 2
check "WATCHDOG=1 sent (WatchdogSec)" wait_for 30 grep -q '^WATCHDOG=1' "$work/notify.log"
check "STATUS sent with the VMs and the band" grep -qE '^STATUS=[0-9]+ of 8 VMs managed, host (critical|pressure)' "$work/notify.log"

# The journal: one entry per decision, with the fields.
check "journal: decision entries" in_cycles 2 grep -q '^BALLOOND_DOMAIN=web1$' "$work/journal.log"
for field in 'MESSAGE_ID=92dbe8d049164aeba27da90abc75f11c' 'BALLOOND_ACTION=shrink' 'BALLOOND_REASON=host_critical' \
        'BALLOOND_UUID=6c1c0a7e-1a2b-4c3d-8e4f-000000000001' 'BALLOOND_OLD_KIB=4194304' 'BALLOOND_TARGET_KIB=3844778' \
        'BALLOOND_USABLE_KIB=2097152' 'BALLOOND_HOST_BAND=critical' 'BALLOOND_DRY_RUN=1' 'SYSLOG_IDENTIFIER=balloond' \
        'PRIORITY=6'; do
        check "journal field $field" grep -q "^$field\$" "$work/journal.log"
done
check "journal: a readable MESSAGE" grep -q '^MESSAGE=dry run: web1: shrink 4096 -> 3754 MiB: host memory critical' "$work/journal.log"
check "journal: exclusions said once, with their reason" \
        eq "$(grep -c '^BALLOOND_REASON=no_balloon$' "$work/journal.log")" 1
# Free page reporting: a fact about the domains, said once for all of them
# in one entry (no BALLOOND_REASON), each VM a BALLOOND_DOMAIN field of it.
fpr=$(awk 'BEGIN { RS = "--\n" } /MESSAGE_ID=5a31d7a6ad9349e79759409b691ba37e/' "$work/journal.log")
check "journal: free page reporting said in one entry" \
        eq "$(grep -c '^MESSAGE_ID=5a31d7a6ad9349e79759409b691ba37e$' "$work/journal.log")" 1
check "journal: free page reporting entry has no BALLOOND_REASON" test -z "$(grep '^BALLOOND_REASON=' <<<"$fpr")"
check "journal: free page reporting entry names the 5 VMs" eq "$(grep -c '^BALLOOND_DOMAIN=' <<<"$fpr")" 5
check "journal: free page reporting entry counts them" grep -q '^BALLOOND_VM_COUNT=5$' <<<"$fpr"
check "journal: nothing on stderr while the journal is there" test ! -s "$work/stderr"

# balloonctl against libvirt's view (dry run: nothing moves).
check "balloonctl status exits 0" "$balloonctl" --status-file "$work/status.json" status
"$balloonctl" --status-file "$work/status.json" status > "$work/ctl.txt"
check "balloonctl table" grep -qE '^web1 +running +ok +4096 +3754 +2048 +host_critical +never$' "$work/ctl.txt"
"$balloonctl" --status-file "$work/status.json" --json > "$work/ctl.json"
for v in web1 web2 app1 pg1 db-orders; do
        actual=$(virsh -c "$uri" dommemstat "$v" | awk '$1 == "actual" {print $2}')
        check "balloonctl $v actual = libvirt's ($actual)" \
                eq "$(jq -r --arg n "$v" '.vms[] | select(.name == $n) | .actual_kib' "$work/ctl.json")" "$actual"
done
check "balloonctl: missing status file: exit 1" eq "$("$balloonctl" --status-file "$work/none.json" >/dev/null 2>&1; echo $?)" 1
check "status file not world-writable" test "$(stat -c %a "$work/status.json")" = 640

# Reload: a good file is taken, a bad one rejected (and the old one kept).
n0=$(grep -c '^READY=1' "$work/notify.log")
conf 2
kill -HUP "$bpid"
check "reload: RELOADING=1" wait_for 30 grep -q '^RELOADING=1' "$work/notify.log"
check "reload: READY=1 again" wait_for 30 readies_above "$n0"
check "reload: logged" wait_for 30 grep -q '^MESSAGE=configuration reloaded$' "$work/journal.log"
check "reload: the new interval is in force" in_cycles 2 interval_is 2
echo 'interval_sec = "soon"; garbage' > "$work/balloond.conf"
kill -HUP "$bpid"
check "bad reload: rejected" wait_for 30 grep -q '^MESSAGE=new configuration rejected, keeping the running one$' "$work/journal.log"
check "bad reload: the rejected entry has its MESSAGE_ID" grep -q '^MESSAGE_ID=643afab0e59e4972b4885505bbc9b3ed$' "$work/journal.log"
check "bad reload: the reason is in the journal" grep -qE "^MESSAGE=$work/balloond.conf:[0-9]+: syntax error" "$work/journal.log"
c=$(cycles)
check "bad reload: still cycling, old interval kept" wait_for 60 cycles_past "$c"
check "bad reload: interval still 2" interval_is 2

# libvirtd killed with SIGKILL, then restarted.
kill -9 "$(cat "$work/libvirtd.pid")"
rm -f "$work/libvirtd.pid"
check "connection lost: said" wait_for 30 grep -q '^MESSAGE_ID=3074fa21ccd64cefb30031c371bfffb8$' "$work/journal.log"
sleep 3
check "connection lost: said once" eq "$(grep -c '^MESSAGE_ID=3074fa21ccd64cefb30031c371bfffb8$' "$work/journal.log")" 1
check "balloond still running" kill -0 "$bpid"
c=$(cycles)
t0=$(date +%s.%N)
start_libvirtd
check "connection restored: said" wait_for 150 grep -q '^MESSAGE_ID=115db95a07f94740995fda89915b8797$' "$work/journal.log"
check "cycling again" wait_for 60 cycles_past "$c"
resume=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "balloond resumed cycling ${resume} s after libvirtd came back"

# SIGTERM: STOPPING=1 and a clean exit.
kill -TERM "$bpid"
wait "$bpid"
check "SIGTERM: exit 0" eq "$?" 0
check "STOPPING=1 sent" grep -q '^STOPPING=1' "$work/notify.log"
check "no crash or sanitizer report" test -z "$(grep -E 'AddressSanitizer|runtime error' "$work/stderr")"
finish
