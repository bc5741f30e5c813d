#!/bin/bash
# The fleet view, for real: three balloonds, each on its own simulated host
# (sim:///scenario.json: one relaxed with a blind VM and an ineffective one,
# one in pressure whose balloond shrinks VMs and finds one balloon stuck, one
# critical with unmet demand), each serving /metrics on its own port; one
# real Prometheus (Debian's package) scrapes all three and evaluates the
# shipped rules. Every
# fleet recording rule, read through Prometheus's HTTP API, must equal what
# the three balloonds' own /metrics add up to (per host and in total); the
# unmet-demand alert must fire for the short host and no other; every query
# of the dashboard's fleet row must return data. All on 127.0.0.1, bounded in
# time, cleaned up.
set -u
balloond=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need jq curl promtool prometheus ss awk
# Every request is bounded (--max-time): one that hangs must fail its check,
# not hold the test until CTest kills it with nothing said.
work=$(mktemp -d /tmp/balloond-fleet.XXXXXX)
pids=()
# On a failure the work directory stays, and each balloond's state and the
# end of its log are printed (a run beside a CPU hog once had the first host
# never answer, and its logs went with the directory).
cleanup() {
        local h
        if [ "${FAIL:-0}" -gt 0 ]; then
                for h in ${hosts[@]+"${hosts[@]}"}; do
                        echo "--- $h (port ${port[$h]:-?}, pid ${hpid[$h]:-?}: $(kill -0 "${hpid[$h]:-0}" 2>/dev/null && echo running || echo gone)); its log ends:"
                        tail -n 15 "$work/$h.log" 2>/dev/null
                done
                echo "--- kept: $work"
        fi
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        wait 2>/dev/null
        [ "${FAIL:-0}" -gt 0 ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # a signal ends the test (the EXIT trap cleans up); it does not resume it
taken=" "
free_port() { # VAR: set VAR to a port nobody listens on (nor was handed out here)
        local p
        printf -v "$1" 0
        for _ in $(seq 50); do
                p=$((20000 + RANDOM % 30000))
                case "$taken" in *" $p "*) continue ;; esac
                ss -ltn "sport = :$p" | grep -q LISTEN && continue
                taken="$taken$p " # not in a subshell: remembered for the next call
                printf -v "$1" %s "$p"
                return
        done
}
rules=$src/monitoring/prometheus/balloond-rules.yml
dashboard=$src/monitoring/grafana/balloond-dashboard.json
check "rules: promtool check rules" promtool check rules "$rules"
check "rules: promtool test rules (made-up series)" \
        bash -c "cd '$src/monitoring/prometheus' && promtool test rules balloond-rules.test.yml"

# The hosts: NAME SCENARIO MODE (live: balloond applies its decisions).
hosts=(relaxed stuck short)
declare -A scenario=([relaxed]=relaxed.json [stuck]=stuck.json [short]=short.json)
declare -A mode=([relaxed]=--dry-run [stuck]=live [short]=--dry-run)
declare -A port hpid
for h in "${hosts[@]}"; do
        free_port "port[$h]"
        cat > "$work/$h.conf" <<CONF
interval_sec = 1;
metrics = { http_port = ${port[$h]}; };
CONF
        args=()
        [ "${mode[$h]}" = live ] || args+=("${mode[$h]}")
        "$balloond" -c "$work/$h.conf" --connect "sim://$src/tests/data/fleet/${scenario[$h]}" "${args[@]}" \
                --status-file "$work/$h.status" 2> "$work/$h.log" & pids+=($!)
        hpid[$h]=$!
done
# balloond's cycles: the fewest any of the three has run.
cycles() {
        local h c min=
        for h in "${hosts[@]}"; do
                c=$(jq -r '.cycles // 0' "$work/$h.status" 2>/dev/null) || c=0
                [ -z "$min" ] || [ "${c:-0}" -lt "$min" ] && min=${c:-0}
        done
        echo "$min"
}
scrape() { curl -sf --max-time 10 "http://127.0.0.1:${port[$1]}/metrics" -o "$work/$1.prom"; }
for h in "${hosts[@]}"; do
        check "$h: endpoint answers" wait_for 60 scrape "$h"
        check "$h: promtool check metrics" promtool check metrics < "$work/$h.prom"
done

free_port p_prom
# The shipped rules at test speed: evaluated every second, the alert's
# windows in seconds (10 min of "for" -> 5 s, 5 min windows -> 10 s).
sed -e 's/interval: 30s/interval: 1s/' -e 's/for: [0-9]*m$/for: 5s/' -e 's/\[5m\]/[10s]/g' "$rules" > "$work/rules.yml"
check "rules at test speed: promtool check rules" promtool check rules "$work/rules.yml"
{
        cat <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [ "$work/rules.yml" ]
scrape_configs:
  - job_name: balloond
    static_configs:
CONF
        # Each host named by its instance label, as docs/FLEET.md does it.
        for h in "${hosts[@]}"; do
                echo "      - { targets: [ \"127.0.0.1:${port[$h]}\" ], labels: { instance: \"$h\" } }"
        done
} > "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
        --web.listen-address="127.0.0.1:$p_prom" > "$work/prometheus.log" 2>&1 & pids+=($!)

query() { curl -sf --max-time 10 --get "http://127.0.0.1:$p_prom/api/v1/query" --data-urlencode "query=$1"; }
value() { query "$1" | jq -r '.data.result[0].value[1] // empty'; }
has() { [ -n "$(value "$1")" ]; }
check "Prometheus up" wait_for 120 curl -sf --max-time 10 "http://127.0.0.1:$p_prom/-/ready" -o /dev/null
up3() { [ "$(value 'count(up{job="balloond"} == 1)')" = 3 ]; }
check "all three hosts up" wait_for 120 up3
check "fleet rules evaluated" wait_for 120 has 'cluster:balloond_vms_by_state:count'

# What the three balloonds' own /metrics say. from_metrics HOSTS REGEX: the
# sum over HOSTS' fresh scrapes of the samples whose name and labels match
# REGEX (an extended regular expression, anchored at both ends).
from_metrics() {
        local h files=()
        for h in $1; do
                scrape "$h" || return 1
                files+=("$work/$h.prom")
        done
        re="^$2\$" awk '!/^#/ && $1 ~ ENVIRON["re"] { s += $2 } END { printf "%.0f\n", s }' "${files[@]}"
}
# The band of HOST as a level (0 relaxed, 1 normal, 2 pressure, 3 critical), from its /metrics.
level_of() {
        scrape "$1" || return 1
        awk '$1 ~ /^balloond_host_band\{/ && $2 == 1 {
                for (i = 0; i < 4; i++) if (index($1, "\"" b[i] "\"")) print i
        } BEGIN { split("relaxed normal pressure critical", t, " "); for (i = 0; i < 4; i++) b[i] = t[i + 1] }' \
                "$work/$1.prom"
}
# PromQL's value rounded like from_metrics (Prometheus may print 1e+09).
prom() { local v; v=$(value "$1"); [ -n "$v" ] && awk -v v="$v" 'BEGIN { printf "%.0f\n", v }'; }
# agree RULE COMMAND...: Prometheus's RULE equals what COMMAND prints from
# the balloonds' /metrics. The stuck host's balloond changes sizes as it
# goes, and Prometheus sees them a scrape and an evaluation later: retried
# for up to 20 of balloond's cycles, each try with fresh figures on both sides.
agree_once() {
        local rule=$1 want got
        shift
        want=$("$@") || return 1
        got=$(prom "$rule")
        [ -n "$want" ] && [ "$got" = "$want" ] && { last_agreed=$got; return 0; }
        last_seen="Prometheus '$got', /metrics '$want'"
        return 1
}
agree() {
        last_seen=
        in_cycles 20 agree_once "$@" || { echo "  $1: $last_seen" >&2; return 1; }
}
all="${hosts[*]}"
state_re() { printf 'balloond_vm_state\\{.*state="%s"\\}' "$1"; }

# The stuck host's balloond must have found the stuck balloon first.
stuck_found() { [ "$(from_metrics stuck 'balloond_vm_state\{domain="s-stuck",.*state="stuck"\}')" = 1 ]; }
check "stuck host: s-stuck found stuck (balloond's own /metrics)" in_cycles 60 stuck_found
ballooned_stuck() { [ "$(from_metrics stuck balloond_host_ballooned_bytes)" -gt 0 ]; }
check "stuck host: balloond shrank VMs (held in balloons > 0)" in_cycles 60 ballooned_stuck

check "cluster:balloond_hosts:count = 3" eq "$(prom cluster:balloond_hosts:count)" 3
for r in reclaimed reclaimable; do
        check "cluster:balloond_${r}_bytes:sum = sum of the three" \
                agree "cluster:balloond_${r}_bytes:sum" from_metrics "$all" "balloond_${r}_bytes"
done
check "cluster:balloond_host_ballooned_bytes:sum = sum of the three" \
        agree cluster:balloond_host_ballooned_bytes:sum from_metrics "$all" balloond_host_ballooned_bytes
check "cluster:balloond_vms_ineffective:count = sum of the three" \
        agree cluster:balloond_vms_ineffective:count from_metrics "$all" balloond_host_ineffective_vms
check "  ... = 1 (relaxed's r-gpu, pinned by its host device)" eq "$last_agreed" 1
check "cluster:balloond_vms_ineffective_by_reason:count{reason=pinned} = sum of the three" \
        agree 'cluster:balloond_vms_ineffective_by_reason:count{reason="pinned"}' from_metrics "$all" \
        'balloond_vm_ledger_ineffective\{.*reason="pinned"\}'
check "  ... = 1" eq "$last_agreed" 1
for h in "${hosts[@]}"; do
        check "instance:balloond_host_ballooned_bytes:sum{instance=$h} = $h's" \
                agree "instance:balloond_host_ballooned_bytes:sum{instance=\"$h\"}" from_metrics "$h" \
                balloond_host_ballooned_bytes
        check "instance:balloond_vms_ineffective:count{instance=$h} = $h's" \
                agree "instance:balloond_vms_ineffective:count{instance=\"$h\"}" from_metrics "$h" \
                balloond_host_ineffective_vms
        check "instance:balloond_reclaimed_bytes:sum{instance=$h} = $h's" \
                agree "instance:balloond_reclaimed_bytes:sum{instance=\"$h\"}" from_metrics "$h" balloond_reclaimed_bytes
        check "instance:balloond_host_unmet_demand_bytes:sum{instance=$h} = $h's" \
                agree "instance:balloond_host_unmet_demand_bytes:sum{instance=\"$h\"}" from_metrics "$h" \
                balloond_host_unmet_demand_bytes
        check "instance:balloond_vms_blind_or_stuck:count{instance=$h} = $h's" \
                agree "instance:balloond_vms_blind_or_stuck:count{instance=\"$h\"}" from_metrics "$h" \
                'balloond_vm_state\{.*state="(blind|stuck)"\}'
        for st in ok excluded blind stuck; do
                check "instance:balloond_vms_by_state:count{instance=$h,state=$st} = $h's" \
                        agree "instance:balloond_vms_by_state:count{instance=\"$h\",state=\"$st\"}" \
                        from_metrics "$h" "$(state_re "$st")"
        done
        check "instance:balloond_host_band:level{instance=$h} = $h's band" \
                agree "instance:balloond_host_band:level{instance=\"$h\"}" level_of "$h"
done
check "cluster:balloond_host_unmet_demand_bytes:sum = sum of the three" \
        agree cluster:balloond_host_unmet_demand_bytes:sum from_metrics "$all" balloond_host_unmet_demand_bytes
check "  ... > 0, all of it the short host's" test "${last_agreed:-0}" -gt 0 -a \
        "${last_agreed:-0}" = "$(from_metrics short balloond_host_unmet_demand_bytes)"
check "cluster:balloond_hosts_with_unmet_demand:count = 1" \
        eq "$(prom cluster:balloond_hosts_with_unmet_demand:count)" 1
for st in ok excluded blind stuck; do
        check "cluster:balloond_vms_by_state:count{state=$st} = sum of the three" \
                agree "cluster:balloond_vms_by_state:count{state=\"$st\"}" from_metrics "$all" "$(state_re "$st")"
done
check "cluster:balloond_vms_blind:count = sum of the three" \
        agree cluster:balloond_vms_blind:count from_metrics "$all" "$(state_re blind)"
check "  ... = 1 (relaxed's r-frozen)" eq "$last_agreed" 1
check "cluster:balloond_vms_stuck:count = sum of the three" \
        agree cluster:balloond_vms_stuck:count from_metrics "$all" "$(state_re stuck)"
check "  ... = 1 (stuck's s-stuck)" eq "$last_agreed" 1
for b in relaxed normal pressure critical; do
        check "cluster:balloond_hosts_by_band:count{band=$b} = sum of the three" \
                agree "cluster:balloond_hosts_by_band:count{band=\"$b\"}" from_metrics "$all" \
                "balloond_host_band\\{band=\"$b\"\\}"
done
# Three different hosts: relaxed, critical, and balloond working in between.
check "relaxed host: relaxed" eq "$(level_of relaxed)" 0
check "short host: critical" eq "$(level_of short)" 3
stuck_between() { local l; l=$(level_of stuck); [ "$l" = 1 ] || [ "$l" = 2 ]; }
check "stuck host: normal or pressure" stuck_between

# The alert: the short host's demand stays unmet; nobody else's is.
firing() { [ "$(value 'count(ALERTS{alertname="BalloondUnmetDemand",alertstate="firing"})')" = "$1" ]; }
check "BalloondUnmetDemand fires" wait_for 120 firing 1
check "  ... for the short host only" \
        eq "$(query 'ALERTS{alertname="BalloondUnmetDemand",alertstate="firing"}' | jq -r '[.data.result[].metric.instance] | join(",")')" short
check "  ... through the alerts API, with its summary" \
        eq "$(curl -sf --max-time 10 "http://127.0.0.1:$p_prom/api/v1/alerts" | jq -r '.data.alerts[] | select(.labels.alertname == "BalloondUnmetDemand") | .annotations.summary')" \
        "guests on short need memory the host does not have"

# The dashboard's fleet row: every query returns data from this Prometheus.
fleet_exprs() {
        jq -r '.panels as $p | ($p | map(.type == "row" and (.title | startswith("Fleet"))) | index(true)) as $r
               | $p[$r + 1:] | (map(.type == "row") | index(true) // length) as $e | .[:$e][] | .targets[].expr' "$dashboard"
}
check "dashboard: valid JSON with a fleet row of panels" test "$(fleet_exprs | wc -l)" -ge 8
while read -r e; do
        check "dashboard fleet query has data: $e" has "$e"
done < <(fleet_exprs)
check "no scrape errors" eq "$(value 'min(up)')" 1
finish
