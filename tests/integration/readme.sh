#!/bin/bash
# README.md's commands on a new machine. A fresh Debian 12 root (debootstrap
# --variant=minbase, made once and cached by tests/tools/debian-root.sh) gets
# a copy of this checkout (the files git tracks, no build directories) in
# /root/balloond and runs there, as root in a chroot, the commands README.md
# gives, extracted from it, never retyped:
#   1. the first command (the first ```sh block under "Install, build and
#      see"): it installs what it names, builds, and must end with the
#      dry-run table;
#   2. the Debian package recipe (under "A Debian package"): the .deb is
#      built and installed, and the installed balloond runs;
#   3. the dependency install of the test command (the scripts/deps.sh line
#      of scripts/test-all.sh, which the README's test command runs); then the
#      tests build (-DBALLOOND_TESTS=ON) and the unit tests pass.
# And the first command names exactly deps.sh's build list (one list).
# A README edit that would break a new machine fails here.
# The .deb files are cached between runs (debian-root.sh's apt-archives/,
# bind-mounted on the root's /var/cache/apt/archives).
# Usage: bash readme.sh SOURCE-DIR   (KEEP=1 keeps the root)
set -u
src=$(cd "${1:?usage: readme.sh SOURCE-DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need git tar chroot unshare mount awk
[ "$(id -u)" = 0 ] || { echo "readme.sh: run as root (the README's commands are)" >&2; exit 1; }
cache=${BALLOOND_CI_CACHE:-/var/cache/balloond-ci}
work=$(mktemp -d /var/tmp/balloond-readme.XXXXXX)
root=$work/root
kill_leftovers() { # processes started in the root (a daemon a package started)
        local p
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
        done
        return 0
}
cleanup() {
        kill_leftovers
        if grep -qF " $work/" /proc/self/mountinfo; then
                echo "readme.sh: something is still mounted under $work: not deleting it" >&2
        elif [ "${KEEP:-0}" = 1 ]; then
                echo "kept $work" >&2
        else
                rm -rf "$work"
        fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The README's commands: the first ```sh block after the first line that
# matches PATTERN.
readme_block() {
        awk -v pat="$1" '
                state == 0 && $0 ~ pat { state = 1; next }
                state == 1 && /^```sh[ \t]*$/ { state = 2; next }
                state == 2 && /^```/ { exit }
                state == 2 { print }' "$src/README.md"
}
first=$(readme_block '^\*\*Install, build and see')
pkg_recipe=$(readme_block '^\*\*A Debian package')
test_cmd=$(readme_block '^\*\*Install everything and run the whole test suite')
# The dependency install the test command makes, as scripts/test-all.sh makes it.
deps_cmd=$(grep -oE '^bash scripts/deps\.sh [a-z]+' "$src/scripts/test-all.sh" | head -n 1)
check "README: a first command under \"Install, build and see\"" test -n "$first"
check "README: a package recipe under \"A Debian package\"" test -n "$pkg_recipe"
check "README: the test command is scripts/test-all.sh" eq "$test_cmd" "bash scripts/test-all.sh"
check "scripts/test-all.sh installs with scripts/deps.sh" test -n "$deps_cmd"
[ -n "$first" ] && [ -n "$pkg_recipe" ] && [ -n "$deps_cmd" ] || { finish; exit 1; }

# One list: the packages the first command installs are deps.sh's build set.
named=$(sed -n 's/.*apt-get install \([^&|;]*\).*/\1/p' <<<"$first" | tr ' ' '\n' | grep -v '^-' | grep . | sort)
listed=$(bash "$src/scripts/deps.sh" --print build | tr ' ' '\n' | sort)
check "README's first command installs deps.sh's build list ($(echo $listed))" eq "$(echo $named)" "$(echo $listed)"

# ---- the fresh machine ------------------------------------------------------------------
t0=$SECONDS
BALLOOND_CI_CACHE=$cache bash "$src/tests/tools/debian-root.sh" minbase "$root" ||
        { echo "FAIL: no fresh Debian 12 root" >&2; exit 1; }
echo "readme: fresh root ready in $((SECONDS - t0)) s"
mkdir -p "$root/root/balloond"
if ! git -C "$src" -c safe.directory='*' ls-files -z >"$work/files" 2>"$work/git.err"; then
        echo "FAIL: $src is not a git checkout: $(cat "$work/git.err")" >&2
        exit 1
fi
(cd "$src" && tar --null --no-recursion --ignore-failed-read -T "$work/files" -cf -) |
        tar -C "$root/root/balloond" -xf - || { echo "FAIL: copying the checkout into the root" >&2; exit 1; }
# A chroot runs no services: packages that ship one must not try to start it
# here (Debian's policy-rc.d convention for chroots).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
touch "$root/etc/resolv.conf"

# in_root LOG COMMAND: COMMAND (shell text) as root in /root/balloond of the
# fresh root, with a login's environment, in a mount namespace of its own
# (/proc, /sys, /dev, resolv.conf and the .deb cache mounted there, gone
# with it). Output to LOG; returns COMMAND's status.
in_root() {
        unshare --mount --propagation private bash -c '
                set -e
                r=$1 debs=$2
                mount -t proc proc "$r/proc"
                mount --rbind /sys "$r/sys"
                mount --rbind /dev "$r/dev"
                mount --bind /etc/resolv.conf "$r/etc/resolv.conf"
                mount --bind "$debs" "$r/var/cache/apt/archives"
                exec chroot "$r" /usr/bin/env -i HOME=/root USER=root LOGNAME=root TERM=dumb \
                        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                        /bin/bash -c "cd /root/balloond && $3"' \
                in_root "$root" "$cache/apt-archives" "$2" >"$1" 2>&1 </dev/null
        local rc=$?
        kill_leftovers
        return "$rc"
}
step() { # NAME LOG COMMAND: run, time and report a step; its status
        local t=$SECONDS rc
        in_root "$2" "$3"
        rc=$?
        echo "readme: $1: exit $rc after $((SECONDS - t)) s"
        [ "$rc" -eq 0 ] || { echo "--- last lines of $1:" >&2; tail -n 25 "$2" >&2; }
        return "$rc"
}

# 1. The first command, as written.
check "1. the README's first command succeeds on a fresh machine" step "first command" "$work/first.log" "$first"
# It ends with the table: the host line, the header, and one row per VM.
header='^NAME +STATE +STATUS +ACTUAL +TARGET +USABLE +ACTION +REASON +DETAIL$'
row='^[^ ]+ +(running|paused|shut_off|migrating|other) +(ok|excluded|blind|stuck) +([0-9]+|-) +([0-9]+|-) +([0-9]+|-) +(none|shrink|grow) +[a-z_]+( |$)'
at=$(grep -nE "$header" "$work/first.log" | tail -n 1 | cut -d: -f1)
check "1. it prints the table's header" test -n "$at"
at=${at:-999999999}
check "1. the host line above it" grep -qE '^host: ' <(sed -n "$((at - 1))p" "$work/first.log")
rows=$(tail -n "+$((at + 1))" "$work/first.log" | grep -cE "$row")
after=$(tail -n "+$((at + 1))" "$work/first.log" | grep -c .)
check "1. it ends with the table's rows ($rows rows, $after lines after the header)" \
        eval '[ "$rows" -ge 1 ] && [ "$rows" -eq "$after" ]'
sed -n "$((at - 1)),\$p" "$work/first.log"

# 2. The package recipe: built, installed, and the installed daemon runs.
check "2. the README's package recipe succeeds" step "package recipe" "$work/package.log" "$pkg_recipe"
check "2. the installed balloond is the one just built" \
        step "installed balloond" "$work/installed.log" \
        '[ "$(/usr/sbin/balloond --version)" = "$(./build/balloond --version)" ] && /usr/sbin/balloond --version'

# 3. The test command's dependency install, then the tests build and the unit tests pass.
check "3. the test command's dependencies install ($deps_cmd)" step "$deps_cmd" "$work/deps.log" "$deps_cmd"
check "3. the tests build (-DBALLOOND_TESTS=ON) and the unit tests pass" \
        step "unit tests" "$work/unit.log" \
        'cmake -S . -B build-tests -DBALLOOND_TESTS=ON && cmake --build build-tests -j2 && cd build-tests && ctest -L unit'
tail -n 3 "$work/unit.log"
echo "readme: $((SECONDS - t0)) s on the fresh machine"
finish
