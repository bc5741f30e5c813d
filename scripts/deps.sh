#!/bin/bash
# Install what balloond needs from Debian 12's archive: to build (build), and
# to run the whole test suite (test). Idempotent; run as root.
set -euo pipefail
BUILD_PKGS="build-essential cmake pkg-config libvirt-dev libsystemd-dev libjson-c-dev libconfig-dev libmicrohttpd-dev libxml2-dev"
TEST_PKGS="libcmocka-dev clang libclang-rt-14-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 busybox-static jq time prometheus prometheus-node-exporter curl iproute2 valgrind"
case "${1:-test}" in
build) pkgs="$BUILD_PKGS" ;;
test) pkgs="$BUILD_PKGS $TEST_PKGS" ;;
*) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pkgs
