#!/bin/bash
# The metrics endpoint under local users who hold connections open: with 64
# idle connections (the old limit was 16) a scrape is still answered at
# once; with more than the limit (300 > 256) the idle ones are dropped after
# 3 s and scrapes are answered again. metrics.vm_labels = "uuid": no VM name
# in what the endpoint serves. balloond runs on the simulated host.
set -u
balloond=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need curl ss
work=$(mktemp -d /tmp/balloond-http.XXXXXX)
bpid=
cleanup() {
        [ -n "$bpid" ] && kill "$bpid" 2>/dev/null
        wait 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # a signal ends the test (the EXIT trap cleans up); it does not resume it
port=0
for _ in $(seq 50); do
        p=$((20000 + RANDOM % 30000))
        ss -ltn "sport = :$p" | grep -q LISTEN || { port=$p; break; }
done
printf 'interval_sec = 1;\nmetrics = { http_port = %s; vm_labels = "uuid"; };\n' "$port" > "$work/balloond.conf"
"$balloond" -c "$work/balloond.conf" --connect sim:// --dry-run --status-file "" 2> "$work/stderr" &
bpid=$!
url="http://127.0.0.1:$port/metrics"
scrape() { curl -sf --max-time "${1:-2}" "$url" -o "$work/metrics.txt"; }
# The endpoint answers before the first cycle has run: wait for a cycle's VMs.
scrape_vms() { scrape && grep -q '^balloond_vm_actual_bytes{' "$work/metrics.txt"; }
check "endpoint up, with the first cycle's VMs" wait_for 30 scrape_vms
check "vm_labels = uuid: per-VM series carry the uuid" grep -q '^balloond_vm_actual_bytes{uuid="' "$work/metrics.txt"
check "vm_labels = uuid: no domain label" test -z "$(grep 'domain=' "$work/metrics.txt")"

# 64 connections that never send a byte.
for i in $(seq 64); do exec {fd}<>"/dev/tcp/127.0.0.1/$port"; fds+=("$fd"); done
t0=$(date +%s.%N)
check "64 idle connections: a scrape is answered within 2 s" scrape 2
echo "scrape with 64 idle connections: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }') s"
# 300: more than the limit. The idle ones go after 3 s; scrapes come back.
for i in $(seq 236); do exec {fd}<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null && fds+=("$fd"); done
t0=$(date +%s.%N)
check "300 idle connections: scrapes answered again within 10 s" wait_for 10 scrape 1
echo "scrape answered $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after 300 idle connections opened"
for fd in "${fds[@]}"; do exec {fd}>&-; done
check "balloond still running" kill -0 "$bpid"
finish
