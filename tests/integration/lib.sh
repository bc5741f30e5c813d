# Shared helpers for balloond's integration tests (sourced).
# shellcheck shell=bash
PASS=0
FAIL=0
check() { # DESCRIPTION COMMAND...
        local what=$1
        shift
        if "$@"; then
                PASS=$((PASS + 1))
        else
                FAIL=$((FAIL + 1))
                echo "FAIL: $what" >&2
        fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'" >&2; return 1; }; }
finish() {
        echo "$PASS passed, $FAIL failed"
        [ "$FAIL" -eq 0 ]
}
need() { # COMMAND...: fail (not skip) when a tool is missing
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 || { echo "missing $c: install it (scripts/deps.sh test)" >&2; exit 1; }
        done
}

# Waiting. What balloond paces is waited for in its own cycles (the caller's
# `cycles` function: the count in balloond's status file) under a generous
# wall-clock ceiling, in case it stops cycling; what only the wall clock
# paces (a process starting, a guest writing memory) in seconds. A slow or
# loaded machine makes a wait longer, never a test fail.
wait_for() { # SECONDS COMMAND...: COMMAND true within SECONDS (polled every 0.1 s)
        local deadline=$(($(date +%s) + $1))
        shift
        while [ "$(date +%s)" -le "$deadline" ]; do "$@" && return 0; sleep 0.1; done
        return 1
}
in_cycles() { # N COMMAND...: COMMAND true before balloond has run N more cycles
        local n=$1 limit c deadline=$(($(date +%s) + ${CYCLE_CEILING_SEC:-180}))
        shift
        limit=$(($(cycles) + n))
        while :; do
                c=$(cycles)
                "$@" && return 0
                if [ "$c" -ge "$limit" ]; then
                        echo "  not within $n cycles" >&2
                        return 1
                fi
                if [ "$(date +%s)" -gt "$deadline" ]; then
                        echo "  balloond ran $((c - limit + n)) of $n cycles in ${CYCLE_CEILING_SEC:-180} s" >&2
                        return 1
                fi
                sleep 0.1
        done
}
cycles_past() { [ "$(cycles)" -gt "$1" ]; } # N: more than N cycles run
wait_cycles() { # N: until balloond has run N more cycles (false past the wall-clock ceiling)
        local target=$(($(cycles) + $1))
        wait_for "${CYCLE_CEILING_SEC:-180}" cycles_past $((target - 1))
}
