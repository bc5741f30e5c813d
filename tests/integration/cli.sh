#!/bin/bash
# The command-line contract (docs: COMMON contract, balloond(8)): options,
# exit codes (0 ok, 1 runtime failure, 2 bad command line, 6 invalid
# configuration), messages, --check-config, the default configuration file,
# --once on the simulated host (table and JSON), and the memory a --once run
# takes.
#
# Usage: bash cli.sh /path/to/balloond SRCDIR
set -u

if [ $# -ne 2 ]; then
        echo "usage: $0 /path/to/balloond SRCDIR" >&2
        exit 2
fi
balloond=$1 src=$2
. "$(dirname "$0")/lib.sh" # check, eq, finish
SKIP=0
skip() { # DESCRIPTION: a check this machine cannot make
        SKIP=$((SKIP + 1))
        echo "SKIP: $1" >&2
}
has() { # FILE PATTERN: FILE has a line matching the extended regex PATTERN
        grep -qE -- "$2" "$1" || { echo "  no line matching '$2' in:" >&2; sed 's/^/  | /' "$1" >&2; return 1; }
}
empty() { [ ! -s "$1" ] || { echo "  expected nothing, got:" >&2; sed 's/^/  | /' "$1" >&2; return 1; }; }

[ -x "$balloond" ] || { echo "$balloond is not an executable" >&2; exit 1; }
work=$(mktemp -d /tmp/balloond-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
out=$work/out err=$work/err

# Run balloond; stdout in $out, stderr in $err; print the exit status.
run() { "$balloond" "$@" > "$out" 2> "$err" < /dev/null; echo $?; }

version=$(sed -nE 's/^project\(balloond VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
shipped=$src/conf/balloond.conf
five=$src/tests/config/five-mistakes.conf

# ---- --version, --help -------------------------------------------------------
check "--version: exit 0" eq "$(run --version)" 0
check "--version: 'balloond $version'" eq "$(cat "$out")" "balloond $version"
check "--version: nothing on stderr" empty "$err"

check "--help: exit 0" eq "$(run --help)" 0
for opt in -c --config --connect --dry-run --once --json --check-config -v --verbose --version --help \
           --metrics --status-file --interval --cycles; do
        check "--help lists $opt" has "$out" "(^|[ ,])$opt([ ,=]|$)"
done
check "--help: nothing on stderr" empty "$err"

# ---- bad command lines: exit 2, naming the culprit ------------------------------
check "unknown long option: exit 2" eq "$(run --frobnicate)" 2
check "unknown long option is named" has "$err" "--frobnicate"
check "unknown long option: nothing on stdout" empty "$out"
check "unknown short option: exit 2" eq "$(run -x)" 2
check "unknown short option is named" has "$err" "'-x'|\"-x\"| -x( |:|$)"
check "--connect without its URI: exit 2" eq "$(run --connect)" 2
check "--connect without its URI is named" has "$err" "--connect"
check "-c without its file: exit 2" eq "$(run -c)" 2
check "-c without its file is named" has "$err" "'-c'|\"-c\"| -c( |:|$)"
check "--config without its file: exit 2" eq "$(run --config)" 2
check "--config without its file is named" has "$err" "--config"
check "stray argument: exit 2" eq "$(run --once extra)" 2
check "stray argument is named" has "$err" "extra"
check "--json without --once: exit 2" eq "$(run --json)" 2

# ---- --check-config -------------------------------------------------------------
check "shipped config: exit 0" eq "$(run -c "$shipped" --check-config)" 0
check "shipped config: stdout is exactly 'configuration OK'" eq "$(cat "$out")" "configuration OK"
check "shipped config: nothing on stderr" empty "$err"
check "--config FILE works as -c FILE" eq "$(run --config "$shipped" --check-config)" 0
check "-v --check-config: exit 0" eq "$(run -v -c "$shipped" --check-config)" 0

check "five mistakes: exit 6" eq "$(run -c "$five" --check-config)" 6
check "five mistakes: five lines on stderr" eq "$(wc -l < "$err")" 5
check "five mistakes: each 'FILE:LINE: KEY: PROBLEM'" \
        eq "$(grep -cE "^$five:[0-9]+: [^ :]+: .+" "$err")" 5
check "five mistakes: the lines differ" eq "$(cut -d: -f2 "$err" | sort -u | wc -l)" 5
check "five mistakes: nothing on stdout" empty "$out"
check "five mistakes stop --once too: exit 6" eq "$(run -c "$five" --connect sim:// --once --dry-run)" 6

check "-c on a missing file: exit 6" eq "$(run -c "$work/nope.conf" --check-config)" 6
check "-c on a missing file: named, with the reason" has "$err" "^$work/nope.conf: cannot read: No such file or directory$"
check "-c on a missing file: exit 6 without --check-config" eq "$(run -c "$work/nope.conf" --connect sim:// --once)" 6

printf 'host = {\n  reserve_mib = ;\n};\n' > "$work/syntax.conf"
check "syntax error: exit 6" eq "$(run -c "$work/syntax.conf" --check-config)" 6
check "syntax error: located" has "$err" "^$work/syntax.conf:2: syntax error: "

# --connect overrides the configuration's connect.
printf 'connect = "qemu+unix:///system?socket=%s/none";\n' "$work" > "$work/connect.conf"
check "--connect overrides connect: exit 0" eq "$(run -c "$work/connect.conf" --connect sim:// --once --dry-run)" 0

# ---- who may write the configuration: root alone --------------------------------
chmod 0755 "$work"
cp "$shipped" "$work/perm.conf"
chmod 0664 "$work/perm.conf"
chgrp users "$work/perm.conf"
check "group-writable config: --check-config exit 6" eq "$(run -c "$work/perm.conf" --check-config)" 6
check "group-writable config: says which file, why and the fix" \
        has "$err" "perm.conf: refusing to use this configuration: .*perm.conf is writable by group users \(mode 0664\).*fix with: chmod g-w"
check "group-writable config: the service does not start (exit 6)" eq "$(run -c "$work/perm.conf" --connect sim://)" 6
chmod 0646 "$work/perm.conf"
check "world-writable config: exit 6" eq "$(run -c "$work/perm.conf" --connect sim:// --once)" 6
check "world-writable config: says so" has "$err" "writable by everyone \(mode 0646\).*chmod o-w"
chmod 0644 "$work/perm.conf"
chmod 0777 "$work"
check "config in a world-writable directory: exit 6" eq "$(run -c "$work/perm.conf" --check-config)" 6
check "config in a world-writable directory: names the directory" has "$err" "$work is writable by everyone"
chmod 0755 "$work"
chown nobody "$work/perm.conf"
check "config owned by another user: exit 6" eq "$(run -c "$work/perm.conf" --check-config)" 6
check "config owned by another user: says so" has "$err" "owned by nobody, not root.*chown root:root"
chown root:root "$work/perm.conf"
# A POSIX ACL granting another user write: the mode bits (0664, group root) hide it.
chgrp root "$work/perm.conf"
setfacl -m u:nobody:rw "$work/perm.conf"
check "ACL granting nobody write: exit 6" eq "$(run -c "$work/perm.conf" --check-config)" 6
check "ACL granting nobody write: says so, with the fix" has "$err" "writable by user nobody through its ACL.*setfacl -x u:"
setfacl -b "$work/perm.conf"
chmod 0644 "$work/perm.conf"
check "config fixed as told: exit 0" eq "$(run -c "$work/perm.conf" --check-config)" 0
chmod 0700 "$work"

# ---- --interval and --cycles ------------------------------------------------------
check "--interval 0: exit 2" eq "$(run --interval 0 --connect sim://)" 2
check "--interval 0: the range is named" has "$err" "--interval: '0' is not a number of seconds from 0.01 to 3600"
check "--interval abc: exit 2" eq "$(run --interval abc --connect sim://)" 2
check "--cycles -1: exit 2" eq "$(run --cycles -1 --connect sim://)" 2
check "--cycles -1: says so" has "$err" "--cycles: '-1' is not a positive whole number"
check "--once --cycles 3: exit 2" eq "$(run --connect sim:// --once --cycles 3)" 2
check "--once --cycles 3: says why" has "$err" "--cycles does not go with --once, which runs one cycle and exits"
check "--once --interval 1: exit 2" eq "$(run --connect sim:// --once --interval 1)" 2
check "--once --interval 1: says why" has "$err" "--interval does not go with --once"
check "--cycles 5 --interval 0.02 on the simulated host: exit 0" \
        eq "$(run --connect sim:// --dry-run --status-file "$work/st.json" --interval 0.02 --cycles 5)" 0
check "--cycles 5: five cycles ran" eq "$(jq -r .cycles "$work/st.json")" 5
check "--cycles: says why it stopped" has "$err" "ran the cycles asked for \(--cycles\), stopping"

# ---- the default configuration file ----------------------------------------------
# Run "$@" with /etc/balloond replaced by directory $1 ("" = no /etc/balloond),
# in a private mount namespace: /etc becomes a tmpfs of symbolic links to the
# real /etc's entries, so that nothing outside the namespace changes.
in_etc() {
        local dir=$1
        shift
        unshare -m bash -c '
                set -e
                real=$1 dir=$2
                shift 2
                mkdir -p "$real"
                mount --bind /etc "$real"
                mount -t tmpfs tmpfs /etc
                for e in "$real"/* "$real"/.[!.]*; do
                        [ -e "$e" ] || [ -L "$e" ] || continue
                        [ "${e##*/}" = balloond ] || ln -s "$e" /etc/
                done
                [ -z "$dir" ] || ln -s "$dir" /etc/balloond
                exec "$@"' in_etc "$work/real-etc" "$dir" "$@"
}
mkdir -p "$work/etc-good" "$work/etc-bad"
cp "$shipped" "$work/etc-good/balloond.conf"
cp "$five" "$work/etc-bad/balloond.conf"
if [ "$(in_etc "$work/etc-good" cat /etc/balloond/balloond.conf 2>/dev/null | head -c 64)" = \
     "$(head -c 64 "$shipped")" ]; then
        in_etc "" "$balloond" --check-config > "$out" 2> "$err"
        check "no /etc/balloond/balloond.conf: defaults, exit 0" eq "$?" 0
        check "no /etc/balloond/balloond.conf: configuration OK" eq "$(cat "$out")" "configuration OK"
        in_etc "$work/etc-good" "$balloond" --check-config > "$out" 2> "$err"
        check "good /etc/balloond/balloond.conf: exit 0" eq "$?" 0
        in_etc "$work/etc-bad" "$balloond" --check-config > "$out" 2> "$err"
        check "bad /etc/balloond/balloond.conf is read: exit 6" eq "$?" 6
        check "bad /etc/balloond/balloond.conf is named" \
                eq "$(grep -cE '^/etc/balloond/balloond.conf:[0-9]+: ' "$err")" 5
else
        skip "the default configuration file: no private mount namespace here (unshare -m needs CAP_SYS_ADMIN)"
fi

# ---- one cycle on the simulated host ------------------------------------------------
check "--connect sim:// --once --dry-run: exit 0" eq "$(run --connect sim:// --once --dry-run)" 0
check "table: a host line first" has "$out" "^host"
check "table: the header second" eq "$(sed -n 2p "$out" | grep -cE \
        '^NAME +STATE +STATUS +ACTUAL +TARGET +USABLE +ACTION +REASON( |$)')" 1
# Every row: a name, a state, a status, three sizes in MiB or "-", an action, a reason.
row='^[^ ]+ +(running|paused|shut_off|migrating|other) +(ok|excluded|blind|stuck) +([0-9]+|-) +([0-9]+|-) +([0-9]+|-) +(none|shrink|grow) +[a-z_]+( |$)'
rows=$(tail -n +3 "$out" | grep -cE "$row")
all=$(tail -n +3 "$out" | grep -c .)
check "table: at least one VM" test "$rows" -ge 1
check "table: every row well formed ($rows of $all)" eq "$rows" "$all"
check "table: nothing on stderr" empty "$err"
tail -n +3 "$out" | awk '{ print $1 }' | sort > "$work/table-names"

check "--connect sim:// --once --dry-run --json: exit 0" eq "$(run --connect sim:// --once --dry-run --json)" 0
cp "$out" "$work/json"
if command -v jq > /dev/null 2>&1; then
        j() { jq -e "$@" "$work/json" > /dev/null; }
        check "JSON: valid" j .
        check "JSON: version, dry_run, time" j ".version == \"$version\" and .dry_run == true and (.time | type) == \"number\""
        check "JSON: host fields" j '.host | (.band | IN("relaxed", "normal", "pressure", "critical"))
                and ([.mem_total_kib, .mem_available_kib, .free_kib, .free_pct, .reclaim_goal_kib,
                      .grow_room_kib, .margin_squeeze_pct] | all(type == "number"))
                and (.budget_binds | type) == "boolean"
                and (.margins_shared | type) == "boolean" and (.burst_room_lent | type) == "boolean"
                and (.psi_full_avg10_pct | type | IN("number", "null"))'
        check "JSON: at least one VM" j '.vms | length > 0'
        check "JSON: every VM's fields" j '.vms | all(
                (.name, .uuid | type == "string")
                and (.state | IN("running", "paused", "shut_off", "migrating", "other"))
                and (.status | IN("ok", "excluded", "blind", "stuck"))
                and (.action | IN("none", "shrink", "grow"))
                and (.reason | test("^[a-z_]+$"))
                and ([.actual_kib, .target_kib, .max_kib, .floor_kib, .margin_kib, .limit_kib,
                      .burst_margin_kib, .burst_room_kib, .jump_room_kib, .peer_burst_kib, .swap_need_kib] | all(type == "number"))
                and (.usable_kib, .used_kib | type | IN("number", "null"))
                and (.applied | type) == "boolean"
                and (.shares_margin | type) == "boolean"
                and (.error | type | IN("string", "null")))'
        check "JSON: a dry run applies nothing" j '.vms | all(.applied == false)'
        check "JSON: the same VMs as the table" eq "$(jq -r '.vms[].name' "$work/json" | sort)" "$(cat "$work/table-names")"
else
        skip "JSON validity: jq is not installed (apt-get install jq)"
fi

# ---- runtime failure ---------------------------------------------------------------
check "libvirt unreachable: exit 1" eq "$(run --connect "qemu+unix:///system?socket=$work/none" --once --dry-run)" 1
check "libvirt unreachable: said on stderr" test -s "$err"

# ---- memory ----------------------------------------------------------------------------
if [ -x /usr/bin/time ]; then
        limit_kib=20480
        [ -n "${BALLOOND_SANITIZED:-}" ] && limit_kib=131072 # ASan's shadow memory and quarantine
        /usr/bin/time -f %M -o "$work/rss" "$balloond" --connect sim:// --once --dry-run > /dev/null 2>&1
        rss_kib=$(tail -n 1 "$work/rss")
        echo "peak RSS of balloond --connect sim:// --once --dry-run: $rss_kib KiB (limit $limit_kib KiB)"
        check "peak RSS under $limit_kib KiB ($rss_kib KiB)" test "$rss_kib" -lt "$limit_kib"
else
        skip "peak memory: /usr/bin/time is not installed (apt-get install time)"
fi

# ---- a reader gone (SIGPIPE ignored) ------------------------------------------------
# The table written into a pipe whose reader has already left: a write
# error (exit 1), not death by SIGPIPE (141).
{ sleep 0.5; "$balloond" --connect sim:// --once --dry-run 2>/dev/null; echo $? > "$work/pipe-rc"; } | true
check "--once into a closed pipe: exit 1, not killed by SIGPIPE ($(cat "$work/pipe-rc"))" eq "$(cat "$work/pipe-rc")" 1

[ "$SKIP" -eq 0 ] || echo "$SKIP checks skipped (see SKIP: above)"
finish
