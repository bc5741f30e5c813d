# Paired floor/cycle measurement, sourced by bench/scale.sh and
# bench/real-guests.sh. One bench-floor and one bench-cycle process stay up
# (BENCH_STEPPED=1, bench/stepped.h), each doing one repetition per byte it
# reads; each step runs a floor and a cycle back to back, in alternating
# order, so that the two meet libvirtd and the guests in the same state and
# slow drifts cancel in the paired difference.
#   pair_start BUILD_DIR URI WORK_DIR   start both (after the cycle's warm-up)
#   pair_steps N FILE                   append N lines "floor_ms floor_cpu cycle_ms cycle_cpu"
#   pair_stop                           end both
#   pair_summary FILE                   FILE.{f,c,d,r,fc,cc,m}: see below

pair_start() {
        local build=$1 uri=$2 dir=$3 p
        trap '' PIPE # a program that died shows as EOF, not as our death
        for p in floor cycle; do
                rm -f "$dir/$p.in" "$dir/$p.out"
                mkfifo "$dir/$p.in" "$dir/$p.out" || return 1
        done
        BENCH_STEPPED=1 "$build/bench/bench-floor" "$uri" <"$dir/floor.in" >"$dir/floor.out" &
        pair_pids=$!
        BENCH_STEPPED=1 "$build/bench/bench-cycle" "$uri" <"$dir/cycle.in" >"$dir/cycle.out" &
        pair_pids="$pair_pids $!"
        exec 3>"$dir/floor.in" 4<"$dir/floor.out" 5>"$dir/cycle.in" 6<"$dir/cycle.out"
        pair_n=0
}

pair_one() { # OUT_FD IN_FD: one repetition; prints "ms cpu_ms"
        local line
        printf x >&"$1" 2>/dev/null || return 1
        read -r -u "$2" line || return 1
        sed -n 's/^step ms=\([^ ]*\) cpu_ms=\([^ ]*\)$/\1 \2/p' <<<"$line"
}

pair_steps() {
        local n=$1 file=$2 i f c
        for ((i = 0; i < n; i++)); do
                pair_n=$((pair_n + 1))
                if ((pair_n % 2)); then
                        f=$(pair_one 3 4) && c=$(pair_one 5 6)
                else
                        c=$(pair_one 5 6) && f=$(pair_one 3 4)
                fi
                if [ -z "${f:-}" ] || [ -z "${c:-}" ]; then
                        echo "bench: a stepped floor or cycle died (step $pair_n)" >&2
                        return 1
                fi
                echo "$f $c" >>"$file"
        done
}

pair_stop() {
        exec 3>&- 5>&- 4<&- 6<&-
        # shellcheck disable=SC2086
        wait $pair_pids
}

median_of() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# FILE.f / .c: median floor and cycle ms; .d: median of the paired
# differences (ms); .r: median of the paired ratios cycle / floor; .fc / .cc:
# median CPU ms; .m: mean difference and the half-width of its 95 % interval.
pair_summary() {
        awk '{ print $1 }' "$1" | median_of >"$1.f"
        awk '{ print $3 }' "$1" | median_of >"$1.c"
        awk '{ print $3 - $1 }' "$1" | median_of >"$1.d"
        awk '$1 > 0 { print $3 / $1 }' "$1" | median_of >"$1.r"
        awk '{ print $2 }' "$1" | median_of >"$1.fc"
        awk '{ print $4 }' "$1" | median_of >"$1.cc"
        awk '{ d = $3 - $1; s += d; q += d * d; n++ }
             END { m = s / n; sd = sqrt((q - n * m * m) / (n > 1 ? n - 1 : 1)); printf "%.4f %.4f\n", m, 1.96 * sd / sqrt(n) }' \
                "$1" >"$1.m"
}
