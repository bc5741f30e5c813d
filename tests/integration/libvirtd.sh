# libvirtd for the integration tests, started by the test itself: its
# socket, its log and its pid file in $work (never the host's), serving the
# test driver's shared test:///default, held open by a connection of ours
# (virsh event, logging every event to $work/events) so that every client
# sees the same domains. Sets uri and holder. Needs: work, data, ORDINARY,
# EXCLUDED (for the fixture). Only one libvirtd can run on a host at a time.

libvirtd_start() {
        mkdir -p "$work/sock" "$work/dom"
        # Debian's libvirtd will not start without the qemu driver's user.
        getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
        getent passwd libvirt-qemu >/dev/null ||
                useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
        printf 'unix_sock_dir="%s"\nlog_outputs="3:file:%s"\n' "$work/sock" "$work/libvirtd.log" > "$work/libvirtd.conf"
        if ! libvirtd -d -f "$work/libvirtd.conf" -p "$work/libvirtd.pid"; then
                echo "FAIL: libvirtd did not start (libvirtd -d -f $work/libvirtd.conf)" >&2
                tail -20 "$work/libvirtd.log" >&2 2>/dev/null
                exit 1
        fi
        uri="test+unix:///default?socket=$work/sock/libvirt-sock"
        for _ in $(seq 600); do # 60 s and more: a loaded machine starts it slowly
                virsh -c "$uri" uri >/dev/null 2>&1 && break
                grep -q 'initialization failed' "$work/libvirtd.log" 2>/dev/null && break
                sleep 0.1
        done
        if ! virsh -c "$uri" uri >/dev/null 2>&1; then
                echo "FAIL: libvirtd does not answer on $uri:" >&2
                virsh -c "$uri" uri >&2
                tail -20 "$work/libvirtd.log" >&2
                grep -q 'Failed to acquire pid file' "$work/libvirtd.log" 2>/dev/null &&
                        echo "(another libvirtd runs on this host: only one can; stop it first)" >&2
                exit 1
        fi
        # test:///default lives while a connection is open: hold one (and
        # keep its log of the events balloond gets too).
        virsh -c "$uri" event --all --loop > "$work/events" 2>&1 &
        holder=$!
        # Held once a change made on one connection is seen on the next.
        for _ in $(seq 300); do
                virsh -q -c "$uri" desc test --live --title held >/dev/null 2>&1
                [ "$(virsh -c "$uri" desc test --title 2>/dev/null)" = held ] && break
                sleep 0.1
        done
        [ "$(virsh -c "$uri" desc test --title 2>/dev/null)" = held ] ||
                { echo "FAIL: cannot hold a connection to $uri" >&2; exit 1; }
}

# The fixture's domains (tests/data/testdriver.xml, one file each, and
# tagged1) instead of the driver's own; ORDINARY and EXCLUDED started,
# paused1 paused.
libvirtd_define_fixture() {
        awk -v dir="$work/dom" '/<domain /{ f = 1; out = sprintf("%s/%02d.xml", dir, ++n) }
                f { print > out } /<\/domain>/ { f = 0; close(out) }' "$data/testdriver.xml"
        cp "$data/testdriver-tagged1.xml" "$work/dom/99.xml"
        virsh -q -c "$uri" destroy test >/dev/null && virsh -q -c "$uri" undefine test >/dev/null ||
                { echo "FAIL: cannot remove test:///default's own domain" >&2; exit 1; }
        for f in "$work"/dom/*.xml; do
                virsh -q -c "$uri" define "$f" >/dev/null || { echo "FAIL: cannot define $f" >&2; exit 1; }
        done
        for v in $ORDINARY $EXCLUDED; do
                virsh -q -c "$uri" start "$v" >/dev/null || { echo "FAIL: cannot start $v" >&2; exit 1; }
        done
        virsh -q -c "$uri" suspend paused1 >/dev/null || { echo "FAIL: cannot pause paused1" >&2; exit 1; }
}

# Stop libvirtd and the holder (for cleanup traps).
libvirtd_stop() {
        local pid
        [ -n "${holder:-}" ] && kill "$holder" 2>/dev/null
        if [ -s "$work/libvirtd.pid" ]; then
                pid=$(cat "$work/libvirtd.pid")
                kill "$pid" 2>/dev/null
                for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -9 "$pid" 2>/dev/null
        fi
        return 0
}

# The end of a test that started libvirtd (its EXIT trap): kill the given
# processes (empty arguments are skipped), stop libvirtd and the holder,
# remove $work unless KEEP=1.
libvirtd_test_cleanup() {
        local pid
        for pid in "$@"; do
                [ -n "$pid" ] && kill "$pid" 2>/dev/null
        done
        libvirtd_stop
        wait 2>/dev/null
        if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
