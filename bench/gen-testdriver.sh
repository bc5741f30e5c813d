#!/bin/bash
# gen-testdriver.sh N > node.xml: a libvirt test-driver host with N running
# domains of 1-4 GiB, each with a virtio balloon.
set -euo pipefail
n=$1
echo "<node>"
echo "  <cpu><mhz>3000</mhz><model>i686</model><active>2</active><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>"
echo "  <memory>25165824</memory>"
for ((i = 1; i <= n; i++)); do
        mib=$((1024 * (1 + i % 4)))
        printf "  <domain type='test'><name>vm%05d</name><uuid>00000000-0000-4000-8000-%012d</uuid>" "$i" "$i"
        printf "<memory unit='MiB'>%d</memory><currentMemory unit='MiB'>%d</currentMemory><vcpu>1</vcpu>" "$mib" "$mib"
        printf "<os><type>hvm</type></os><devices><memballoon model='virtio'/></devices></domain>\n"
done
echo "</node>"
