#!/bin/bash
# The Debian package: cpack -G DEB from a /usr build, installed with dpkg -i
# on this machine, run from there, upgraded over a locally edited config
# (kept), removed (config kept) and purged (nothing left).
set -u
src=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need dpkg dpkg-deb cmake cpack lintian
work=$(mktemp -d /tmp/balloond-pkg.XXXXXX)
saved=
if [ -e /etc/balloond ]; then # a config from `cmake --install`: keep it aside
        saved=$work/etc-balloond
        mv /etc/balloond "$saved"
fi
cleanup() {
        dpkg -P balloond >/dev/null 2>&1
        rm -rf /etc/balloond
        [ -n "$saved" ] && mv "$saved" /etc/balloond
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # a signal ends the test (the EXIT trap cleans up); it does not resume it
if dpkg -s balloond >/dev/null 2>&1; then
        echo "FAIL: a balloond package is installed already; remove it first (dpkg -P balloond)" >&2
        exit 1
fi

cmake -S "$src" -B "$work/build" -DCMAKE_INSTALL_PREFIX=/usr -DBALLOOND_TESTS=OFF >/dev/null &&
        cmake --build "$work/build" -j"$(nproc)" >/dev/null &&
        (cd "$work/build" && cpack -G DEB >/dev/null) || { echo "FAIL: building the package" >&2; exit 1; }
deb=$(ls "$work"/build/balloond_*_*.deb)
check "one package built" test -f "$deb"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libvirt0 libsystemd0 libjson-c5 libconfig9 libc6; do
        check "depends on $lib" grep -q "$lib" <<<"$depends"
done
# lintian, Debian's package checker: no errors (warnings and notes printed).
lintian --tag-display-limit 0 "$deb" > "$work/lintian.txt" 2>/dev/null
sed 's/^/lintian: /' "$work/lintian.txt"
check "lintian: no errors" test -z "$(grep '^E:' "$work/lintian.txt")"
check "lintian: no warnings" test -z "$(grep '^W:' "$work/lintian.txt")"
check "the config is a conffile" eq "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" /etc/balloond/balloond.conf

export DEBIAN_FRONTEND=noninteractive
check "dpkg -i installs it" dpkg -i "$deb"
check "installed binary runs" eq "$(/usr/sbin/balloond --version)" "balloond 0.1.0"
check "installed config checks OK" eq "$(/usr/sbin/balloond --check-config 2>&1)" "configuration OK"
check "balloonctl installed" test -x /usr/bin/balloonctl
check "unit installed, pointing at /usr/sbin" grep -q '^ExecStart=/usr/sbin/balloond$' /usr/lib/systemd/system/balloond.service
check "catalog installed" test -f /usr/lib/systemd/catalog/balloond.catalog
for page in man8/balloond.8 man5/balloond.conf.5 man1/balloonctl.1 man1/balloond-sim.1; do
        check "man page $page installed, compressed" gzip -t "/usr/share/man/$page.gz"
done
check "copyright file installed" grep -q '^License: GPL-2.0-or-later' /usr/share/doc/balloond/copyright
check "postinst restarts a running daemon on upgrade" grep -q 'try-restart balloond.service' \
        <(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst)
if command -v systemd-analyze >/dev/null 2>&1; then
        exposure=$(systemd-analyze security --offline=true /usr/lib/systemd/system/balloond.service 2>/dev/null |
                sed -n 's/.*Overall exposure level for balloond.service: \([0-9.]*\).*/\1/p')
        echo "systemd-analyze security: exposure $exposure"
        check "unit exposure at most 1.5 ($exposure)" awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 1.5) }'
fi

echo "# edited here" >> /etc/balloond/balloond.conf
check "dpkg -i again (upgrade) succeeds" dpkg -i "$deb"
check "the edited config is kept" grep -q '^# edited here$' /etc/balloond/balloond.conf
check "dpkg -r removes it" dpkg -r balloond
check "binary gone" test ! -e /usr/sbin/balloond
check "config kept after remove" test -f /etc/balloond/balloond.conf
check "dpkg -P purges it" dpkg -P balloond
check "config gone after purge" test ! -e /etc/balloond
check "nothing of it left in dpkg" test -z "$(dpkg -S /usr/sbin/balloond 2>/dev/null)"
finish
