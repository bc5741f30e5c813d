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
