#!/bin/bash
# The command-line contract: options, exit codes, messages, --check-config,
# --once on the simulated host, and the memory a --once run takes.
set -u
balloond=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need jq
work=$(mktemp -d /tmp/balloond-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
out=$work/out err=$work/err

run() { "$balloond" "$@" > "$out" 2> "$err"; echo $?; }

check "--version exits 0" eq "$(run --version)" 0
check "--version prints the version" grep -qE '^balloond [0-9]+\.[0-9]+\.[0-9]+$' "$out"
check "--help exits 0" eq "$(run --help)" 0
for opt in --config --connect --dry-run --once --json --metrics --check-config --status-file --verbose --version --help; do
        check "--help lists $opt" grep -q -- "$opt" "$out"
done
check "unknown option: exit 2" eq "$(run --frobnicate)" 2
check "unknown option is named" grep -q -- "unknown option '--frobnicate'" "$err"
check "missing argument: exit 2" eq "$(run --connect)" 2
check "missing argument is named" grep -q -- "option '--connect' needs an argument" "$err"
check "stray argument: exit 2" eq "$(run --once extra)" 2
check "stray argument is named" grep -q -- "unexpected argument 'extra'" "$err"
check "--json without --once: exit 2" eq "$(run --json)" 2
check "--metrics without --once: exit 2" eq "$(run --metrics)" 2
check "--once --metrics on sim://: exit 0" eq "$(run --connect sim:// --once --dry-run --metrics)" 0
check "--metrics prints Prometheus text" grep -q "^# TYPE balloond_vm_actual_bytes gauge$" "$out"

check "shipped config: exit 0" eq "$(run -c "$src/conf/balloond.conf" --check-config)" 0
check "shipped config: configuration OK" eq "$(cat "$out")" "configuration OK"
check "five mistakes: exit 3" eq "$(run -c "$src/tests/config/five-mistakes.conf" --check-config)" 3
check "five mistakes: five located lines" \
        eq "$(grep -cE "^$src/tests/config/five-mistakes.conf:[0-9]+: [][a-z_.0-9]+: " "$err")" 5
check "five mistakes: nothing on stdout" eq "$(cat "$out")" ""
check "missing config file: exit 3" eq "$(run -c "$work/nope.conf" --check-config)" 3
check "missing config file is named" grep -q "$work/nope.conf: cannot read: No such file or directory" "$err"
check "a bad config stops --once too" eq "$(run -c "$src/tests/config/five-mistakes.conf" --once --connect sim://)" 3

check "--once --dry-run on sim://: exit 0" eq "$(run --connect sim:// --once --dry-run)" 0
check "table header" grep -qE '^NAME +STATE +STATUS +ACTUAL +TARGET +USABLE +ACTION +REASON +DETAIL$' "$out"
check "seven VMs" eq "$(grep -cE '^(web1|web2|db1|batch1|legacy1|paused1|frozen1) ' "$out")" 7
check "dry run said" grep -q 'dry run: nothing applied' "$out"
check "--once --dry-run --json: exit 0" eq "$(run --connect sim:// --once --dry-run --json)" 0
check "JSON parses" jq -e . "$out" >/dev/null
check "JSON has seven VMs" eq "$(jq '.vms | length' "$out")" 7
check "JSON: db1 excluded as a database" eq "$(jq -r '.vms[] | select(.name=="db1") | .reason' "$out")" excluded_class
check "bad URI: exit 1" eq "$(run --connect sim:///nowhere --once)" 1
check "bad URI is explained" grep -q "cannot connect to sim:///nowhere" "$err"
check "unreachable libvirt: exit 1" eq "$(run --connect "qemu+unix:///system?socket=$work/none" --once)" 1

# Peak memory of a --once run on the simulated host.
if [ -x /usr/bin/time ]; then
        /usr/bin/time -f %M -o "$work/rss" "$balloond" --connect sim:// --once --dry-run > /dev/null 2>&1
        rss_kib=$(tail -n1 "$work/rss")
        limit_kib=20480
        [ -n "${BALLOOND_SANITIZED:-}" ] && limit_kib=131072 # ASan's shadow memory
        echo "peak RSS of balloond --connect sim:// --once --dry-run: $rss_kib KiB (limit $limit_kib KiB)"
        check "peak RSS under $limit_kib KiB ($rss_kib KiB)" test "$rss_kib" -lt "$limit_kib"
else
        echo "FAIL: /usr/bin/time is missing (scripts/deps.sh test installs it)" >&2
        FAIL=$((FAIL + 1))
fi
finish
