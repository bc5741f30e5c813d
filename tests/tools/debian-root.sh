#!/bin/bash
# A fresh Debian 12 root for the tests that need a machine of their own: the
# README's commands on a new machine (tests/integration/readme.sh) and the
# service under a real systemd (tests/integration/system.sh).
#
#   debian-root.sh VARIANT DEST
#
# VARIANT minbase: what `debootstrap --variant=minbase bookworm` makes, the
#                  base image a new user starts from;
#         systemd: minbase plus systemd as init and dbus, to boot with
#                  systemd-nspawn -b.
# The root is made once with debootstrap from Debian's archive and cached as a
# tarball outside the checkout (BALLOOND_CI_CACHE, /var/cache/balloond-ci); a
# later run only unpacks it. Delete the tarball to make it again. The .deb
# files the tests install are cached there too (apt-archives/), to bind-mount
# on the root's /var/cache/apt/archives: the same packages, not downloaded
# again.
set -euo pipefail
variant=${1:?usage: debian-root.sh minbase|systemd DEST}
dest=${2:?usage: debian-root.sh minbase|systemd DEST}
cache=${BALLOOND_CI_CACHE:-/var/cache/balloond-ci}
mirror=${BALLOOND_DEBIAN_MIRROR:-http://deb.debian.org/debian}
case "$variant" in
minbase) include="" ;;
systemd) include="--include=systemd,systemd-sysv,dbus,libpam-systemd,ca-certificates" ;;
*) echo "debian-root.sh: unknown variant '$variant' (minbase or systemd)" >&2; exit 2 ;;
esac
tarball="$cache/debian12-$variant.tar"
mkdir -p "$cache/apt-archives/partial"

if ! command -v debootstrap >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
fi

# One maker at a time; the others wait for its tarball.
exec 9>"$cache/.lock-$variant"
flock 9
if [ ! -s "$tarball" ]; then
        work=$(mktemp -d "$cache/make-$variant.XXXXXX")
        echo "debian-root: making a Debian 12 $variant root with debootstrap (cached in $tarball)"
        # shellcheck disable=SC2086
        if ! debootstrap --variant=minbase $include bookworm "$work/root" "$mirror" >"$work/log" 2>&1; then
                tail -n 20 "$work/log" >&2
                rm -rf "$work"
                echo "debian-root: debootstrap failed" >&2
                exit 1
        fi
        # Debian's security archive, as on a new machine.
        echo "deb $mirror bookworm main" >"$work/root/etc/apt/sources.list"
        echo "deb http://deb.debian.org/debian-security bookworm-security main" >>"$work/root/etc/apt/sources.list"
        echo "deb $mirror bookworm-updates main" >>"$work/root/etc/apt/sources.list"
        rm -f "$work/root/var/cache/apt/archives/"*.deb
        tar -C "$work/root" -cf "$tarball.tmp" .
        mv "$tarball.tmp" "$tarball"
        rm -rf "$work"
fi
flock -u 9

rm -rf "$dest"
mkdir -p "$dest"
tar -C "$dest" -xf "$tarball"
echo "debian-root: $dest is a fresh Debian 12 $variant root"
