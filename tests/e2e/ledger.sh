#!/bin/bash
# The ledger on real QEMU guests (TCG) under a real libvirtd (issue 18):
#   bd-l1  1 GiB, no free page reporting, 640 MiB written and freed: its
#          free memory is resident on the host, so shrinking it returns it;
#   bd-lf  768 MiB, free page reporting, idle: its free memory is already
#          back on the host, so shrinking it returns nothing -> ineffective;
#   bd-lm  768 MiB, memfd shared backing, no FPR, 400 MiB written and freed
#          (what its shrinks return is measured and printed, not assumed);
#   bd-hp  256 MiB backed by 2 MiB hugepages (when the host can reserve
#          them): ineffective from its XML, never shrunk.
# balloond runs for real under a VM budget that makes it shrink the guests to
# their floors, then without one (they grow back). After the shrink and
# after the grow each guest's ledger is checked against its QEMU process's
# own /proc/PID/status (within 10 %), and after the shrink the confirmed
# reclaim against what the host's MemAvailable gained (within 10 %).
# balloonctl ledger is printed at each step. Prints the figures docs/E2E.md
# reports.
#   bash tests/e2e/ledger.sh BALLOOND BALLOONCTL
set -u
balloond=$(realpath "$1")
balloonctl=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
E2E_WORK=${E2E_WORK:-/tmp/balloond-e2e-ledger}
. "$here/lib.sh"
. "$here/../integration/lib.sh"
rm -rf "$E2E_WORK" && mkdir -p "$E2E_WORK"
bpid=
hp_was=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
hp_mount=
stop_daemon() { [ -n "$bpid" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null; bpid=; }
finish_up() {
        stop_daemon
        e2e_cleanup
        [ -n "$hp_mount" ] && umount "$hp_mount" 2>/dev/null
        echo "$hp_was" > /proc/sys/vm/nr_hugepages 2>/dev/null
}
trap finish_up EXIT
trap 'exit 130' INT TERM
fatal() { echo "FAIL: $*" >&2; exit 1; }
need jq awk virsh
MiB=1024

# ---- hugepages: 160 x 2 MiB and a hugetlbfs mount libvirtd is told of ----
hugepages_setup() {
        echo $((hp_was + 160)) > /proc/sys/vm/nr_hugepages 2>/dev/null || return 1
        [ "$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)" -ge 128 ] || return 1
        mkdir -p "$E2E_WORK/huge"
        mount -t hugetlbfs -o pagesize=2M hugetlbfs "$E2E_WORK/huge" 2>/dev/null || return 1
        hp_mount=$E2E_WORK/huge
        printf 'hugetlbfs_mount = "%s"\n' "$hp_mount" >> /etc/libvirt/qemu.conf
}

# ledger_define NAME MIB FPR(on|off) BACKING(plain|memfd|hugepages)
ledger_define() {
        local name=$1 mib=$2 fpr=$3 backing=$4 mb=
        case "$backing" in
        memfd) mb="<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>" ;;
        hugepages) mb="<memoryBacking><hugepages/></memoryBacking>" ;;
        esac
        rm -f "$E2E_WORK/$name".ctl.{in,out} "$E2E_WORK/$name.console"
        mkfifo "$E2E_WORK/$name.ctl.in" "$E2E_WORK/$name.ctl.out"
        cat > "$E2E_WORK/$name.xml" <<XML
<domain type='${E2E_VIRT:-qemu}'>
  <name>$name</name>
  <memory unit='MiB'>$mib</memory>
  <currentMemory unit='MiB'>$mib</currentMemory>
  $mb
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$E2E_WORK/vmlinuz</kernel><initrd>$E2E_WORK/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
    <serial type='file'><source path='$E2E_WORK/$name.console'/><target port='0'/></serial>
    <serial type='pipe'><source path='$E2E_WORK/$name.ctl'/><target port='1'/></serial>
    <memballoon model='virtio' freePageReporting='$fpr'><stats period='1'/></memballoon>
  </devices>
</domain>
XML
        V define "$E2E_WORK/$name.xml" >/dev/null
}

# ---- what the host says, and what balloond says ----
proc_pid() { cat "/run/libvirt/qemu/$1.pid" 2>/dev/null; }
proc_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$(proc_pid "$1")/status"; } # NAME VmRSS|VmSwap
host_avail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
# The median of 9 reads over ~2 s: other processes move MemAvailable too.
host_avail_median() {
        for _ in 1 2 3 4 5 6 7 8 9; do host_avail; sleep 0.25; done | sort -n | sed -n 5p
}
# The anonymous memory of every process but our guests' QEMUs (KiB): this
# machine is shared, and what other processes allocate meanwhile moves
# MemAvailable as much as balloond does.
others_anon() {
        local skip=" " g
        for g in $guests; do skip="$skip$(proc_pid $g) "; done
        for f in /proc/[0-9]*/status; do
                p=${f#/proc/}; p=${p%/status}
                case "$skip" in *" $p "*) continue ;; esac
                awk '$1 == "RssAnon:" { print $2 }' "$f" 2>/dev/null
        done | awk '{ s += $1 } END { print s + 0 }'
}
status=$E2E_WORK/status.json
field() { jq -r --arg n "$1" ".vms[] | select(.name == \$n) | .$2" "$status" 2>/dev/null; } # VM FIELD
hfield() { jq -r ".host.ledger.$1" "$status" 2>/dev/null; }
cycles() { jq -r .cycles "$status" 2>/dev/null || echo 0; }
within() { # A B PCT [FLOOR_KIB]: |A - B| <= PCT % of max(A, B), or at most FLOOR_KIB
        awk -v a="$1" -v b="$2" -v p="$3" -v f="${4:-0}" 'BEGIN {
                d = a - b; if (d < 0) d = -d; m = a > b ? a : b
                if (d <= m * p / 100 || d <= f) exit 0
                printf "  %s and %s differ by %.1f %% (more than %s %%)\n", a, b, (m ? 100 * d / m : 0), p > "/dev/stderr"; exit 1 }'
}

e2e_host_setup || fatal "host setup"
hugepages_setup && hp=bd-hp || { hp=; echo "NOTE: no 2 MiB hugepages on this host: bd-hp not run" >&2; }
e2e_build_guest || fatal "guest build"
e2e_start_libvirtd || fatal "libvirtd"
ledger_define bd-l1 1024 off plain || fatal "define bd-l1"
ledger_define bd-lf 768 on plain || fatal "define bd-lf"
ledger_define bd-lm 768 off memfd || fatal "define bd-lm"
[ -n "$hp" ] && { ledger_define bd-hp 256 on hugepages || fatal "define bd-hp"; }
guests="bd-l1 bd-lf bd-lm $hp"
e2e_start $guests || fatal "boot"

# Written and freed: resident on the host, free in the guest.
e2e_cmd bd-l1 "hog 640"; e2e_cmd bd-lm "hog 400"
wait_for 300 e2e_done bd-l1 "hog 640" && wait_for 300 e2e_done bd-lm "hog 400" || fatal "hog"
e2e_cmd bd-l1 unhog; e2e_cmd bd-lm unhog
wait_for 120 e2e_done bd-l1 unhog && wait_for 120 e2e_done bd-lm unhog || fatal "unhog"
sleep 5 # free page reporting (bd-lf) settles in seconds
for g in $guests; do say "before: $g VmRSS $(proc_kib $g VmRSS) KiB"; done
rss0_l1=$(proc_kib bd-l1 VmRSS) rss0_lm=$(proc_kib bd-lm VmRSS)

conf() { # BUDGET_MIB
        cat > "$E2E_WORK/balloond.conf" <<CONF
connect = "$E2E_URI";
interval_sec = 1;
host = { vm_budget_mib = $1; };
guest = { cooldown_sec = 2; grow_hold_sec = 10; stuck_after_sec = 5; stats_slack_sec = 10; };
CONF
}
# The guests hold 2816 MiB (2560 without bd-hp); their floors ~1500 in all.
budget=$((${hp:+256} + 1792))
conf "$budget"
avail0=$(host_avail_median) anon0=$(others_anon)
"$balloond" -c "$E2E_WORK/balloond.conf" --status-file "$status" 2>> "$E2E_WORK/balloond.log" &
bpid=$!
total() { local t=0 g; for g in $guests; do t=$((t + $(e2e_actual $g))); done; echo $t; }
fit() { [ "$(total)" -le $((budget * MiB)) ]; }
CYCLE_CEILING_SEC=300 check "shrink: the guests fit the budget" in_cycles 200 fit
# Settled: nothing moved over 4 cycles and no measurement is under way.
measuring() { jq -e '[.vms[].ledger.measuring] | any' "$status" >/dev/null 2>&1; }
settled() {
        local a
        a=$(total)
        wait_cycles 4 && [ "$(total)" = "$a" ] && ! measuring
}
CYCLE_CEILING_SEC=300 check "shrink: the guests settle" in_cycles 120 settled
avail1=$(host_avail_median) anon1=$(others_anon)
# What the host gained from the guests: MemAvailable's gain plus what the
# other processes took meanwhile (their anonymous memory; balloond's own is
# counted with them, and is small).
raw=$((avail1 - avail0)) others=$((anon1 - anon0))
gain=$((raw + others)) confirmed=$(hfield reclaimed_kib)
say "shrink: MemAvailable gained $((raw / MiB)) MiB while other processes took $((others / MiB)) MiB: the guests gave $((gain / MiB)) MiB; balloond confirmed $((confirmed / MiB)) MiB; in balloons $(($(hfield ballooned_kib) / MiB)) MiB"
check "shrink: the host gained memory worth checking (>= 256 MiB: $((gain / MiB)))" test "$gain" -ge $((256 * MiB))
check "shrink: confirmed reclaim within 10 % of what the host's available memory gained" within "$confirmed" "$gain" 10
"$balloonctl" --status-file "$status" ledger

ledger_vs_proc() { # WHEN: each guest's ledger against its QEMU process's /proc/PID/status
        local g rss led swap lswap
        for g in $guests; do
                rss=$(proc_kib $g VmRSS) led=$(field $g ledger.resident_kib)
                swap=$(proc_kib $g VmSwap) lswap=$(field $g ledger.host_swap_kib)
                say "$1: $g resident: ledger $led KiB, /proc $rss KiB; swap: ledger $lswap, /proc $swap"
                check "$1: $g resident within 10 % of /proc/PID/status VmRSS" within "$led" "$rss" 10
                check "$1: $g host swap within 10 % of VmSwap (or 1 MiB)" within "$lswap" "$swap" 10 1024
                check "$1: $g balloon size as libvirt's" within "$(field $g ledger.actual_kib)" "$(e2e_actual $g)" 1
        done
}
ledger_vs_proc shrink
back_l1=$((rss0_l1 - $(proc_kib bd-l1 VmRSS)))
say "shrink: bd-l1 returned $(($(field bd-l1 ledger.returned_kib) / MiB)) MiB (its VmRSS fell $((back_l1 / MiB)) MiB), ratio $(field bd-l1 ledger.reclaim_ratio)"
check "shrink: bd-l1's returned within 10 % of its VmRSS's fall" within "$(field bd-l1 ledger.returned_kib)" "$back_l1" 10
check "shrink: bd-l1 effective" eq "$(field bd-l1 ledger.ineffective)" false
say "shrink: bd-lf returned $(($(field bd-lf ledger.returned_kib) / MiB)) MiB of $(($(field bd-lf ledger.last_shrink_kib) / MiB)) MiB shrunk: $(field bd-lf ledger.ineffective_reason)"
check "shrink: bd-lf (FPR, idle) ineffective: free pages reported" eq "$(field bd-lf ledger.ineffective_reason)" free_pages_reported
say "shrink: bd-lm (memfd, shared) returned $(($(field bd-lm ledger.returned_kib) / MiB)) MiB (VmRSS fell $(((rss0_lm - $(proc_kib bd-lm VmRSS)) / MiB)) MiB), ratio $(field bd-lm ledger.reclaim_ratio), ineffective: $(field bd-lm ledger.ineffective_reason)"
if [ -n "$hp" ]; then
        check "bd-hp (hugepages) ineffective: hugepages" eq "$(field bd-hp ledger.ineffective_reason)" hugepages
        check "bd-hp never shrunk" eq "$(e2e_actual bd-hp)" $((256 * MiB))
fi
check "balloonctl ledger shows bd-lf ineffective" sh -c "'$balloonctl' --status-file '$status' ledger | grep -q '^bd-lf .*ineffective: free_pages_reported'"

# Grow: no budget, a host with RAM to spare -> back to the maxima.
conf 0
kill -HUP "$bpid"
at_max() { local g; for g in $guests; do [ "$(e2e_actual $g)" = "$(field $g ledger.max_kib)" ] || return 1; done; }
CYCLE_CEILING_SEC=300 check "grow: the guests are back at their maxima" in_cycles 120 at_max
CYCLE_CEILING_SEC=300 check "grow: the guests settle" in_cycles 60 settled
ledger_vs_proc grow
check "grow: nothing reclaimed any more" eq "$(hfield reclaimed_kib)" 0
# Its memory is as free as before: shrinking it would still return nothing.
# (On main this failed in two clean-clone runs: one cycle of the grow, with
# the guest's report ahead of libvirt's size, probed it anew; the ledger now
# judges only reports made while the balloon held its size.)
check "grow: bd-lf still ineffective" eq "$(field bd-lf ledger.ineffective_reason)" free_pages_reported
"$balloonctl" --status-file "$status" ledger
check "no guest OOM" test -z "$(e2e_oom)"
check "balloond still running" kill -0 "$bpid"
finish
