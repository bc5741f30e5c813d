#!/bin/bash
# The one list of the Debian 12 packages balloond needs, and their install:
#   build    to build balloond and run it (README.md's first command names
#            exactly these; tests/integration/readme.sh checks that it does);
#   package  to build its Debian package too (cpack's DEB generator needs
#            `file`);
#   test     to run the whole test suite (scripts/test-all.sh).
# Idempotent; run as root. `deps.sh --print SET` prints the list, installs
# nothing.
set -euo pipefail
BUILD_PKGS="build-essential cmake pkg-config libvirt-dev libsystemd-dev libjson-c-dev libconfig-dev libmicrohttpd-dev libxml2-dev"
PACKAGE_PKGS="file"
TEST_PKGS="libcmocka-dev clang libclang-rt-14-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 busybox-static jq time prometheus prometheus-node-exporter curl iproute2 valgrind debootstrap git lintian systemd-container util-linux acl"
print=0
if [ "${1:-}" = --print ]; then
        print=1
        shift
fi
case "${1:-test}" in
build) pkgs="$BUILD_PKGS" ;;
package) pkgs="$BUILD_PKGS $PACKAGE_PKGS" ;;
test) pkgs="$BUILD_PKGS $PACKAGE_PKGS $TEST_PKGS" ;;
*) echo "usage: $0 [--print] [build|package|test]" >&2; exit 2 ;;
esac
if [ "$print" = 1 ]; then
        echo "$pkgs"
        exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pkgs
