#!/bin/bash
# The service under a real systemd, as an administrator runs it: the .deb
# built from this checkout, installed with apt into a Debian 12 root booted
# with systemd as PID 1 (systemd-nspawn -b; the root from
# tests/tools/debian-root.sh, cached outside the checkout), a libvirtd there
# (its system socket, libvirt's test driver, real restarts), and the
# administrator's day: enable --now, STATUS, the journal (fields, -x), a good
# and a bad reload, balloonctl as root, as a member of group libvirt and as
# another user, libvirtd restarted, a bad config at start, the unit's sandbox,
# an upgrade, stop with restore_on_exit, remove and purge.
#
# The host has no systemd of its own: the container is driven with
# `nsenter -t LEADER -a`, LEADER being the container's PID 1 as the host sees
# it.
#
# Measured on the project's 2-vCPU machine under the heavy-test lock
# (`flock /var/lock/balloond-heavy.lock ctest -R '^system$' -V`): 114 s with
# the cache warm at 0d28b58 (packages built 19 s, apt 15 s, the wedged
# domain 45 s); runs alone and in CI took 154-161 s before that step was
# scaled down from 90 s. An empty cache (BALLOOND_CI_CACHE=/var/tmp/...) once
# added debootstrap (49 s). nspawn on this host (cgroup v1 hybrid, no systemd
# outside) cannot enforce IPAddressDeny= (no BPF cgroup programs: 1.1.1.1:53 is
# reached) nor MemoryMax= (no memory controller delegated); the test says so
# (NOTE lines) rather than failing, and checks the rest of the sandbox with
# systemd-run -p around probes and in /proc/PID/status of the daemon.
#
#   system.sh SOURCE_DIR
set -u
src=$(cd "${1:?usage: system.sh SOURCE_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need systemd-nspawn nsenter cmake cpack dpkg-deb jq
cache=${BALLOOND_CI_CACHE:-/var/cache/balloond-ci}
work=$(mktemp -d /var/tmp/balloond-system.XXXXXX)
root=$work/root
machine=balloond-sys-$$
np= leader=
t_start=$(date +%s)

cleanup() {
        if [ -n "$leader" ] && kill -0 "$leader" 2>/dev/null; then
                ct systemctl poweroff >/dev/null 2>&1
                for _ in $(seq 300); do kill -0 "$np" 2>/dev/null || break; sleep 0.1; done
        fi
        [ -n "$np" ] && kill "$np" 2>/dev/null
        wait 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT INT TERM
fatal() {
        echo "FAIL: $*" >&2
        [ -s "$work/nspawn.log" ] && tail -20 "$work/nspawn.log" >&2
        exit 1
}
elapsed() { echo $(($(date +%s) - $1)); }

# Run a command in the container (as root, a clean environment).
ct() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= \
        SYSTEMD_COLORS=0 "$@"; }
status_json() { ct cat /run/balloond/status.json 2>/dev/null; }
cycles() { # 0 before the first status file
        local n
        n=$(status_json | jq -r '.cycles // 0' 2>/dev/null)
        echo "${n:-0}"
}
main_pid() { ct systemctl show -p MainPID --value balloond; }
interval_is() { [ "$(status_json | jq -r .interval_sec 2>/dev/null)" = "$1" ]; }
journal_has() { ct journalctl -u balloond -o cat --no-pager "$@" 2>/dev/null | grep -q .; }
journal_grep() { # PATTERN [journalctl args]: a MESSAGE matching PATTERN
        local p=$1
        shift
        ct journalctl -u balloond -o cat --no-pager "$@" 2>/dev/null | grep -qE "$p"
}

# ---- the package: this checkout, and a later version of it (for the upgrade)
t0=$(date +%s)
cmake -S "$src" -B "$work/build" -DCMAKE_INSTALL_PREFIX=/usr -DBALLOOND_TESTS=OFF >/dev/null &&
        cmake --build "$work/build" -j"$(nproc)" >/dev/null &&
        (cd "$work/build" && cpack -G DEB >/dev/null && mv balloond_*_*.deb "$work/balloond.deb" &&
                cpack -G DEB -D CPACK_PACKAGE_VERSION=0.1.0+next >/dev/null &&
                mv balloond_0.1.0+next_*.deb "$work/balloond-next.deb") ||
        fatal "building the packages"
deb=$work/balloond.deb next=$work/balloond-next.deb
echo "time: packages built in $(elapsed "$t0") s"

# ---- a Debian 12 root with systemd, booted
t0=$(date +%s)
bash "$src/tests/tools/debian-root.sh" systemd "$root" >/dev/null || fatal "making the Debian root"
echo "time: root ready in $(elapsed "$t0") s"
mkdir -p "$root/root/debs" "$root/var/lib/balloond-test"
cp "$deb" "$root/root/debs/balloond.deb"
cp "$next" "$root/root/debs/balloond-next.deb"
cp "$src/tests/data/testdriver.xml" "$src/tests/data/meminfo-plenty" "$root/var/lib/balloond-test/"
mkdir -p "$cache/apt-archives/partial"

t0=$(date +%s)
systemd-nspawn -q -b -D "$root" -M "$machine" --register=no --keep-unit --console=passive \
        --bind="$cache/apt-archives:/var/cache/apt/archives" </dev/null >"$work/nspawn.log" 2>&1 &
np=$!
# The container's init: the child of systemd-nspawn NP that has exec'd init
# in a PID namespace of its own (none yet: nothing printed). While nspawn
# sets the container up, its child may be a short-lived "outer child" that
# never execs: taken for the leader, it is gone before the first nsenter
# (CI at 83d22c0: "stat of /proc/23702/ns/user failed"; 2 of 15 boots here
# showed one first).
container_init() {
        local np=$1 host pid comm ns
        host=$(readlink /proc/self/ns/pid)
        for pid in $(pgrep -P "$np"); do
                comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
                ns=$(readlink "/proc/$pid/ns/pid" 2>/dev/null) || continue
                [ -n "$comm" ] && [ "$comm" != systemd-nspawn ] && [ "$ns" != "$host" ] || continue
                echo "$pid"
                return
        done
}
for _ in $(seq 100); do
        leader=$(container_init "$np")
        [ -n "$leader" ] && break
        kill -0 "$np" 2>/dev/null || fatal "systemd-nspawn exited"
        sleep 0.1
done
[ -n "$leader" ] || fatal "no container leader"
booted() { case "$(ct systemctl is-system-running 2>/dev/null)" in running | degraded) return 0 ;; esac; return 1; }
wait_for 120 booted || fatal "the container did not boot ($(ct systemctl is-system-running 2>&1))"
echo "time: booted in $(elapsed "$t0") s (systemd $(ct systemctl --version | head -1 | awk '{print $2}'))"

# ---- libvirt and the package, with apt
t0=$(date +%s)
ct sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        libvirt-daemon-system libvirt-clients jq' >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fatal "apt: libvirt"; }
echo "time: libvirt installed with apt in $(elapsed "$t0") s"
uri="test+unix:///var/lib/balloond-test/testdriver.xml"
check "libvirtd answers on the system socket" wait_for 60 ct virsh -c "$uri" uri
check "apt installs the package" ct sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/debs/balloond.deb' \
        >>"$work/apt.log" 2>&1
check "not started by the install" eq "$(ct systemctl is-active balloond)" inactive
check "the journal catalog is indexed" ct sh -c 'journalctl --list-catalog | grep -q 92dbe8d049164aeba27da90abc75f11c'

conf() { # the service's configuration: the test driver, INTERVAL, EXTRA lines, the VM budget (MiB)
        ct sh -c "sed 's|@DATA@|/var/lib/balloond-test|; s|vm_budget_mib = 20480|vm_budget_mib = ${3:-20480}|' \
                > /etc/balloond/balloond.conf" <"$src/tests/data/testdriver.conf"
        printf 'connect = "%s";\ninterval_sec = %s;\n%s\n' "$uri" "$1" "${2:-}" |
                ct sh -c 'cat >> /etc/balloond/balloond.conf'
}

# ---- enable --now, STATUS, the journal
conf 1
check "systemctl enable --now" ct systemctl enable --now balloond
check "active" eq "$(ct systemctl is-active balloond)" active
check "enabled" eq "$(ct systemctl is-enabled balloond)" enabled
pid=$(main_pid)
check "cycling" wait_for 60 cycles_past 2
check "STATUS in systemctl status" wait_for 30 \
        ct sh -c 'systemctl status balloond | grep -qE "Status: \"[0-9]+ of 8 VMs managed, host (critical|pressure)"'
check "journalctl -u balloond BALLOOND_DOMAIN=web1" wait_for 30 journal_grep '^web1: shrink' BALLOOND_DOMAIN=web1
check "journalctl -x explains it from the catalog" \
        ct sh -c 'journalctl -x -u balloond MESSAGE_ID=92dbe8d049164aeba27da90abc75f11c --no-pager | grep -q "Subject: balloond shrank the memory of VM web1"'
ct journalctl -u balloond -o json --no-pager MESSAGE_ID=5a31d7a6ad9349e79759409b691ba37e >"$work/fpr.json" 2>/dev/null
check "free page reporting: one entry for the 5 VMs" eq "$(jq -s 'length' "$work/fpr.json"), $(jq -s '.[0].BALLOOND_DOMAIN | length' "$work/fpr.json")" "1, 5"
check "free page reporting: no BALLOOND_REASON" eq "$(jq -s '.[0] | has("BALLOOND_REASON")' "$work/fpr.json")" false
check "filtering on a reason does not return it" \
        test -z "$(ct journalctl -u balloond -o cat --no-pager BALLOOND_REASON=host_critical MESSAGE_ID=5a31d7a6ad9349e79759409b691ba37e)"

# ---- who reads the status: root, group libvirt, nobody else
check "/run/balloond is root:libvirt 0750" eq "$(ct stat -c '%U:%G %a' /run/balloond)" "root:libvirt 750"
check "status.json is root:libvirt 0640" eq "$(ct stat -c '%U:%G %a' /run/balloond/status.json)" "root:libvirt 640"
check "balloonctl status as root" ct sh -c 'balloonctl status | grep -qE "^web1 +running"'
ct useradd -m -G libvirt alice
ct useradd -m bob
check "balloonctl status as alice (group libvirt)" ct runuser -u alice -- sh -c 'balloonctl status | grep -qE "^web1 +running"'
out=$(ct runuser -u bob -- balloonctl status 2>&1)
check "balloonctl status as bob (not in it): exit 1" eq "$?" 1
check "balloonctl status as bob: says why" grep -q "Permission denied (the status is for root and group libvirt" <<<"$out"

# ---- reload: a good edit, then a bad one
conf 2
check "good edit: systemctl reload exits 0" ct systemctl reload balloond
check "good edit: the new interval is in force" wait_for 30 interval_is 2
check "good edit: same process" eq "$(main_pid)" "$pid"
conf 2 'stats_period_sec = "often";'
ct systemctl reload balloond >"$work/reload.out" 2>&1
check "bad edit: systemctl reload fails" test $? -ne 0
check "bad edit: the error is in the journal, located" \
        journal_grep '/etc/balloond/balloond.conf:[0-9]+: stats_period_sec: expected an integer'
check "bad edit: still active, same process" eq "$(ct systemctl is-active balloond) $(main_pid)" "active $pid"
c=$(cycles)
check "bad edit: still cycling" wait_for 60 cycles_past "$((c + 1))"
check "bad edit: old config kept (interval 2)" interval_is 2
conf 2
check "fixed: reload exits 0" ct systemctl reload balloond

# ---- libvirtd restarted: same balloond, resumes
c=$(cycles)
check "systemctl restart libvirtd" ct systemctl restart libvirtd
check "libvirtd restart: lost, said" wait_for 30 journal_has MESSAGE_ID=3074fa21ccd64cefb30031c371bfffb8
check "libvirtd restart: connected again, said" wait_for 120 journal_has MESSAGE_ID=115db95a07f94740995fda89915b8797
check "libvirtd restart: balloond the same process" eq "$(main_pid)" "$pid"
check "libvirtd restart: cycling again" wait_for 60 cycles_past "$((c + 2))"

# ---- a wedged domain: two domains whose job is held (tests/tools/wedge-shim.c
# waits where QEMU's driver would: the bulk stats call without NOWAIT, and
# setting their memory) must not stall the others nor trip the watchdog
# (issue 17, item 5). Scaled down from QEMU's 30 s per call against the
# shipped WatchdogSec=60 (a 90 s step): each wait is 21 s against a
# drop-in's WatchdogSec=40, still above the 36 s the daemon may wait for one
# apply (src/daemon/libvirt_apply.c); a main loop that waited for a wedged
# domain's two calls would miss it every cycle.
step_wedged_domain() {
        local c0 n0 t0 secs cyc
        # BALLOOND_SYSTEM_WEDGE=1 walks it anyway (to see a balloond without
        # NOWAIT fail it).
        if [ -z "${BALLOOND_SYSTEM_WEDGE:-}" ] && ! grep -rqs GET_ALL_DOMAINS_STATS_NOWAIT "$src/src/daemon/"; then
                echo "SKIP: wedged domain: this balloond does not ask libvirt for NOWAIT stats yet (issue 17, item 5)"
                return
        fi
        mkdir -p "$root/usr/local/lib"
        # shellcheck disable=SC2046
        cc -shared -fPIC -o "$root/usr/local/lib/wedge-shim.so" "$src/tests/tools/wedge-shim.c" \
                $(pkg-config --cflags --libs libvirt) -ldl || { check "wedge-shim builds" false; return; }
        ct mkdir -p /etc/systemd/system/balloond.service.d
        printf '[Service]\nWatchdogSec=40\nEnvironment=LD_PRELOAD=/usr/local/lib/wedge-shim.so BALLOOND_WEDGE_FILE=/run/balloond-wedge BALLOOND_WEDGE_SEC=21\n' |
                ct sh -c 'cat > /etc/systemd/system/balloond.service.d/wedge.conf'
        printf 'web1\napp1\n' | ct sh -c 'cat > /run/balloond-wedge'
        ct systemctl daemon-reload
        check "wedged: restarted with the shim" ct systemctl restart balloond
        check "wedged: the drop-in's watchdog in force (40 s)" \
                eq "$(ct systemctl show -p WatchdogUSec --value balloond)" 40s
        pid=$(main_pid)
        n0=$(ct systemctl show -p NRestarts --value balloond)
        wait_for 30 cycles_past 0
        c0=$(cycles) t0=$(date +%s)
        sleep 45 # past two 21 s waits and the 40 s watchdog
        secs=$(elapsed "$t0") cyc=$(($(cycles) - c0))
        echo "wedged: $cyc cycles in $secs s with web1 and app1 wedged (interval 2 s)"
        check "wedged: the watchdog did not fire (same process, no restart)" \
                eq "$(main_pid) $(ct systemctl show -p NRestarts --value balloond)" "$pid $n0"
        check "wedged: cycles kept their pace (>= 1 per 4 s)" test "$cyc" -ge $((secs / 4))
        check "wedged: web2 still managed" \
                eq "$(status_json | jq -r '.vms[] | select(.name == "web2") | .status')" ok
        ct rm -f /etc/systemd/system/balloond.service.d/wedge.conf /run/balloond-wedge
        ct systemctl daemon-reload
        ct systemctl restart balloond
}
step_wedged_domain

# ---- a bad configuration at start: fails once, clearly, no restart loop
ct systemctl stop balloond
conf 1 'stats_period_sec = "often";'
ct systemctl start balloond >/dev/null 2>&1
check "bad config at start: systemctl start fails" test $? -ne 0
sleep 7 # past RestartSec=5s
check "bad config at start: exit status 6 (NOTCONFIGURED)" \
        ct sh -c 'systemctl status balloond | grep -q "status=6/NOTCONFIGURED"'
check "bad config at start: failed, not restarted" \
        eq "$(ct systemctl show -p ActiveState --value balloond) $(ct systemctl show -p NRestarts --value balloond)" "failed 0"
conf 1
ct systemctl reset-failed balloond
check "fixed: starts" ct systemctl start balloond
pid=$(main_pid)

# ---- the sandbox, as systemd enforces it here
step_sandbox() {
        local props=() line status
        status=$(ct cat "/proc/$pid/status")
        check "sandbox: seccomp filter on" grep -qE '^Seccomp:\s+2' <<<"$status"
        check "sandbox: no new privileges" grep -qE '^NoNewPrivs:\s+1' <<<"$status"
        check "sandbox: no capabilities" grep -qE '^CapBnd:\s+0+$' <<<"$status"
        check "sandbox: group libvirt" eq "$(ct stat -c %G "/proc/$pid")" libvirt
        # The unit's sandbox directives, run with systemd-run around probes.
        while IFS= read -r line; do
                props+=(-p "$line")
        done < <(ct sed -n -E 's/^((Protect|Private|NoNewPrivileges|Restrict|LockPersonality|MemoryDenyWriteExecute|IPAddress|CapabilityBoundingSet|AmbientCapabilities|SystemCall|UMask|ReadWritePaths|Group|MemoryMax)[A-Za-z]*=.*)$/\1/p' \
                /usr/lib/systemd/system/balloond.service)
        check "sandbox: balloond --once works inside it" \
                ct systemd-run --quiet --wait --pipe "${props[@]}" /usr/sbin/balloond --once --dry-run --status-file ""
        check "sandbox: /etc is read-only (ProtectSystem=strict)" \
                ct systemd-run --quiet --wait --pipe "${props[@]}" /bin/sh -c '! touch /etc/balloond/probe 2>/dev/null'
        check "sandbox: chown refused (CapabilityBoundingSet=, SystemCallFilter=)" \
                ct systemd-run --quiet --wait --pipe "${props[@]}" -p ReadWritePaths=/var/tmp /bin/sh -c \
                'f=$(mktemp /var/tmp/p.XXXXXX); ! chown nobody "$f" 2>/dev/null'
        check "sandbox: /root is out of sight (ProtectHome=yes)" \
                ct systemd-run --quiet --wait --pipe "${props[@]}" /bin/sh -c '! ls /root/debs >/dev/null 2>&1'
        # What a container cannot enforce: say so, measured.
        if ct systemd-run --quiet --wait --pipe "${props[@]}" /bin/bash -c 'exec 3<>/dev/tcp/1.1.1.1/53' 2>/dev/null; then
                echo "NOTE: IPAddressDeny=any not enforced in this container (no BPF cgroup programs under nspawn):" \
                        "a connection to 1.1.1.1:53 went through"
        else
                echo "sandbox: IPAddressDeny=any enforced (1.1.1.1:53 refused)"
        fi
        status=$(ct sh -c "cat /sys/fs/cgroup/memory/system.slice/balloond.service/memory.limit_in_bytes \
                /sys/fs/cgroup/system.slice/balloond.service/memory.max 2>/dev/null")
        if [ "$status" = 67108864 ]; then
                echo "sandbox: MemoryMax=64M enforced (cgroup limit $status)"
        else
                echo "NOTE: MemoryMax=64M not enforced in this container (cgroup limit: '${status:-none}')"
        fi
}
step_sandbox

# ---- an upgrade restarts the daemon
check "upgrade: apt installs the next version" \
        ct sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/debs/balloond-next.deb' >>"$work/apt.log" 2>&1
check "upgrade: the next version is installed" eq "$(ct dpkg-query -W -f '${Version}' balloond)" 0.1.0+next
check "upgrade: active" eq "$(ct systemctl is-active balloond)" active
check "upgrade: restarted (a new process)" test "$(main_pid)" != "$pid" -a "$(main_pid)" != 0
pid=$(main_pid)

# ---- stop with restore_on_exit: shrunk under the VM budget, then the budget
# lifted and balloond stopped before its next cycle (60 s) grows them.
web1_shrunk() { [ "$(status_json | jq '.vms[] | select(.name == "web1") | .actual_kib < .max_kib')" = true ]; }
check "shrunk before the stop" wait_for 60 web1_shrunk
conf 60 'restore_on_exit = true;' 0
check "restore_on_exit: reload" ct systemctl reload balloond
check "restore_on_exit: in force" wait_for 30 interval_is 60
check "systemctl stop" ct systemctl stop balloond
check "stop: restored, said" journal_grep '^restore_on_exit: [1-9][0-9]* VMs given their memory back'
check "stop: inactive, not failed" eq "$(ct systemctl is-active balloond)" inactive

# ---- remove and purge
check "apt-get remove" ct sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q balloond' >>"$work/apt.log" 2>&1
check "removed: no binary, no unit" ct sh -c '! test -e /usr/sbin/balloond && ! test -e /usr/lib/systemd/system/balloond.service'
check "removed: not enabled any more" ct sh -c '! test -e /etc/systemd/system/multi-user.target.wants/balloond.service'
check "removed: the config kept" ct test -f /etc/balloond/balloond.conf
check "apt-get purge" ct sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q balloond' >>"$work/apt.log" 2>&1
check "purged: /etc/balloond gone" ct sh -c '! test -e /etc/balloond'
check "purged: dpkg knows nothing of it" ct sh -c '! dpkg -s balloond >/dev/null 2>&1'

echo "time: the whole test in $(elapsed "$t_start") s"
if [ "$FAIL" -gt 0 ]; then
        echo "--- the last of balloond's journal:"
        ct journalctl -u balloond -n 40 --no-pager
fi
finish
