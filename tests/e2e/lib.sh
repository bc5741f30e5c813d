# balloond's end-to-end harness (sourced): a libvirtd of its own, real QEMU
# guests built at test time from Debian's packages, and helpers to drive and
# read them. Everything it starts lives under $E2E_WORK and is cleaned up by
# e2e_cleanup (the callers trap it on exit and on signals).
# shellcheck shell=bash
E2E_WORK=${E2E_WORK:-/tmp/balloond-e2e}
E2E_CACHE=${E2E_CACHE:-/var/cache/balloond-e2e}
E2E_URI="qemu:///system?socket=$E2E_WORK/sock/libvirt-sock"
E2E_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { printf '[%6.1fs] %s\n' "$(awk -v a="$E2E_T0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$*"; }
E2E_T0=$(date +%s.%N)
V() { virsh -q -c "$E2E_URI" "$@"; }

# Packages, the libvirt-qemu user the qemu driver insists on, and a
# qemu.conf that runs qemu as root and logs without virtlogd (no systemd
# here). Idempotent; an existing qemu.conf is kept aside and put back.
e2e_host_setup() {
        local pkgs="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 busybox-static"
        local missing
        missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
        if [ -n "$missing" ]; then
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null ||
                        { echo "cannot install: $missing" >&2; return 1; }
        fi
        getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
        getent passwd libvirt-qemu >/dev/null ||
                useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
        mkdir -p /etc/libvirt
        if [ -f /etc/libvirt/qemu.conf ] && ! grep -q 'balloond-e2e' /etc/libvirt/qemu.conf; then
                cp /etc/libvirt/qemu.conf "$E2E_WORK/qemu.conf.saved"
        fi
        printf '# balloond-e2e\nuser = "root"\ngroup = "root"\nstdio_handler = "file"\n' > /etc/libvirt/qemu.conf
}

# The guest: Debian's cloud kernel (downloaded, unpacked, not installed) and
# an initramfs of static busybox, the virtio modules and guest-init.
e2e_build_guest() {
        local real kver m dir=$E2E_CACHE
        mkdir -p "$dir"
        [ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -m1 _Packages)" ] || apt-get update -q >/dev/null
        real=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ { print $2; exit }')
        [ -n "$real" ] || { echo "cannot resolve linux-image-cloud-amd64" >&2; return 1; }
        if ! ls "$dir/$real"_*.deb >/dev/null 2>&1; then
                (cd "$dir" && apt-get download -q "$real" >/dev/null) || { echo "cannot download $real" >&2; return 1; }
        fi
        rm -rf "$E2E_WORK/k" "$E2E_WORK/root" && mkdir -p "$E2E_WORK/k" "$E2E_WORK/root"/{bin,dev,proc,sys,lib/modules}
        dpkg-deb -x "$dir/$real"_*.deb "$E2E_WORK/k"
        kver=$(ls "$E2E_WORK/k/lib/modules")
        cp "$E2E_WORK/k/boot/vmlinuz-$kver" "$E2E_WORK/vmlinuz"
        ldd /bin/busybox >/dev/null 2>&1 && { echo "/bin/busybox is not static (busybox-static)" >&2; return 1; }
        cp /bin/busybox "$E2E_WORK/root/bin/busybox"
        install -m 0755 "$E2E_HERE/guest-init" "$E2E_WORK/root/init"
        for m in virtio/virtio_ring virtio/virtio virtio/virtio_pci_modern_dev virtio/virtio_pci_legacy_dev \
                virtio/virtio_pci virtio/virtio_balloon; do
                cp "$E2E_WORK/k/lib/modules/$kver/kernel/drivers/$m.ko" "$E2E_WORK/root/lib/modules/"
        done
        (cd "$E2E_WORK/root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > "$E2E_WORK/initrd.gz")
        rm -rf "$E2E_WORK/k" "$E2E_WORK/root"
        say "guest built: kernel $kver"
}

e2e_start_libvirtd() {
        # Leftovers of an interrupted run: our domains' definitions.
        rm -f /etc/libvirt/qemu/bd-*.xml /etc/libvirt/qemu/autostart/bd-*.xml
        mkdir -p "$E2E_WORK/sock"
        printf 'unix_sock_dir="%s"\nlog_outputs="3:file:%s"\n' "$E2E_WORK/sock" "$E2E_WORK/libvirtd.log" \
                > "$E2E_WORK/libvirtd.conf"
        # One CPU: this machine's vCPUs report different CPUIDs, and an unpinned
        # libvirtd throws its qemu capability cache away half the time.
        taskset -c 0 libvirtd -d -f "$E2E_WORK/libvirtd.conf" -p "$E2E_WORK/libvirtd.pid" ||
                { echo "libvirtd did not start" >&2; return 1; }
        for _ in $(seq 600); do V uri >/dev/null 2>&1 && break; sleep 0.1; done
        V uri >/dev/null 2>&1 || { echo "libvirtd does not answer:" >&2; tail -5 "$E2E_WORK/libvirtd.log" >&2; return 1; }
        V domcapabilities --virttype qemu >/dev/null 2>&1 # the first use probes qemu
        say "libvirtd up"
}

# e2e_define NAME MIB [AUTODEFLATE [PERIOD [CURRENT]]]: a TCG guest of MIB
# (KVM where the host's works: E2E_VIRT=kvm); AUTODEFLATE on|off
# (deflate-on-OOM: the guest takes pages back from its balloon instead of
# running out of memory), the balloon's stats PERIOD in seconds (1), its
# balloon at CURRENT MiB from the start (MIB: none).
e2e_define() {
        local name=$1 mib=$2 autodeflate=${3:-off} period=${4:-1} current=${5:-$2}
        rm -f "$E2E_WORK/$name".ctl.{in,out} "$E2E_WORK/$name.console"
        mkfifo "$E2E_WORK/$name.ctl.in" "$E2E_WORK/$name.ctl.out"
        cat > "$E2E_WORK/$name.xml" <<XML
<domain type='${E2E_VIRT:-qemu}'>
  <name>$name</name>
  <memory unit='MiB'>$mib</memory>
  <currentMemory unit='MiB'>$current</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$E2E_WORK/vmlinuz</kernel><initrd>$E2E_WORK/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline></os>
  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
    <serial type='file'><source path='$E2E_WORK/$name.console'/><target port='0'/></serial>
    <serial type='pipe'><source path='$E2E_WORK/$name.ctl'/><target port='1'/></serial>
    <memballoon model='virtio' autodeflate='$autodeflate' freePageReporting='on'><stats period='$period'/></memballoon>
  </devices>
</domain>
XML
        V define "$E2E_WORK/$name.xml" >/dev/null
}

e2e_start() { # NAME...: start, then wait for each guest's init
        local n
        for n in "$@"; do V start "$n" >/dev/null || return 1; done
        for n in "$@"; do
                # A minute and more: TCG guests on a loaded machine boot slowly.
                for _ in $(seq 1800); do grep -q '^BDREADY balloon=1' "$E2E_WORK/$n.console" 2>/dev/null && break; sleep 0.1; done
                grep -q '^BDREADY balloon=1' "$E2E_WORK/$n.console" || { echo "$n did not boot" >&2; tail -5 "$E2E_WORK/$n.console" >&2; return 1; }
        done
        say "guests up: $*"
}

e2e_cmd() { echo "$2" > "$E2E_WORK/$1.ctl.in"; } # NAME COMMAND
e2e_done() { grep -q "^BDDONE $2" "$E2E_WORK/$1.console"; } # NAME COMMAND
# The guest's own last view: e2e_guest NAME total|avail|free (KiB)
e2e_guest() { grep '^BDMEM' "$E2E_WORK/$1.console" | tail -n1 | sed -n "s/.*$2=\([0-9]*\).*/\1/p"; }
e2e_actual() { V dommemstat "$1" | awk '$1 == "actual" { print $2 }'; } # libvirt's, KiB
e2e_oom() { grep -lE 'Out of memory|Kernel panic|oom-kill' "$E2E_WORK"/*.console 2>/dev/null; }

e2e_cleanup() {
        local d
        if [ -s "$E2E_WORK/libvirtd.pid" ]; then
                for d in $(V list --all --name 2>/dev/null | grep '^bd-'); do
                        V destroy "$d" >/dev/null 2>&1
                        V undefine "$d" >/dev/null 2>&1
                done
                kill "$(cat "$E2E_WORK/libvirtd.pid")" 2>/dev/null
                rm -f "$E2E_WORK/libvirtd.pid"
        fi
        pkill -f "qemu-system-x86_64.*-name guest=bd-" 2>/dev/null
        rm -f /etc/libvirt/qemu/bd-*.xml /etc/libvirt/qemu/autostart/bd-*.xml
        if [ -f "$E2E_WORK/qemu.conf.saved" ]; then
                cp "$E2E_WORK/qemu.conf.saved" /etc/libvirt/qemu.conf
        elif grep -qs 'balloond-e2e' /etc/libvirt/qemu.conf; then
                rm -f /etc/libvirt/qemu.conf
        fi
}
