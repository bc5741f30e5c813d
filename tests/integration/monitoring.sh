#!/bin/bash
# Metrics, for real: balloond (the service, on the simulated host) writes the
# node_exporter textfile and serves /metrics; a real prometheus-node-exporter
# reads the textfile, a real Prometheus scrapes both and evaluates the shipped
# rules; PromQL through Prometheus' HTTP API must return what balloond
# reported. promtool checks the metrics and the rules. All on 127.0.0.1,
# bounded in time, cleaned up.
set -u
balloond=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need jq curl promtool prometheus prometheus-node-exporter ss
work=$(mktemp -d /tmp/balloond-mon.XXXXXX)
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        wait 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # a signal ends the test (the EXIT trap cleans up); it does not resume it
free_port() { # a port nobody listens on
        local p
        for _ in $(seq 50); do
                p=$((20000 + RANDOM % 30000))
                ss -ltn "sport = :$p" | grep -q LISTEN || { echo "$p"; return; }
        done
        echo 0
}
p_balloond=$(free_port) p_node=$(free_port) p_prom=$(free_port)

check "rules: promtool check rules" promtool check rules "$src/monitoring/prometheus/balloond-rules.yml"
check "dashboard is JSON with panels" test "$(jq '.panels | length' "$src/monitoring/grafana/balloond-dashboard.json")" -ge 8

mkdir -p "$work/textfile"
cat > "$work/balloond.conf" <<CONF
interval_sec = 1;
metrics = {
  textfile_dir = "$work/textfile";
  http_port = $p_balloond;
};
CONF
"$balloond" -c "$work/balloond.conf" --connect sim:// --dry-run --status-file "$work/status.json" \
        2> "$work/balloond.log" & pids+=($!)
check "textfile written" wait_for 60 test -s "$work/textfile/balloond.prom"
check "textfile: promtool check metrics" promtool check metrics < "$work/textfile/balloond.prom"
check "textfile mode 0644" test "$(stat -c %a "$work/textfile/balloond.prom")" = 644
check "no temporary files left" test "$(ls -A "$work/textfile" | wc -l)" -eq 1
check "endpoint answers" wait_for 60 curl -sf "http://127.0.0.1:$p_balloond/metrics" -o "$work/http.prom"
check "endpoint: promtool check metrics" promtool check metrics < "$work/http.prom"
check "endpoint: content type" \
        grep -qi '^content-type: text/plain; version=0.0.4' <(curl -si "http://127.0.0.1:$p_balloond/metrics")
check "endpoint: 404 elsewhere" eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p_balloond/")" 404
listening_on() { ss -ltnH "sport = :$1" | awk '{ print $4 }' | sort | tr '\n' ' '; }
check "endpoint: bound to 127.0.0.1 only (by default)" eq "$(listening_on "$p_balloond")" "127.0.0.1:$p_balloond "
check "status file: not writable by others (0640)" test "$(stat -c %a "$work/status.json")" = 640
check "textfile: not writable by others" test "$(stat -c %a "$work/textfile/balloond.prom")" = 644
for m in balloond_vm_target_bytes balloond_vm_actual_bytes balloond_vm_maximum_bytes balloond_vm_floor_bytes \
        balloond_vm_usable_bytes balloond_vm_burst_margin_bytes balloond_vm_jump_room_bytes balloond_vm_swap_need_bytes \
        balloond_vm_state balloond_host_memory_available_bytes balloond_host_reserve_bytes \
        balloond_host_vm_budget_bytes balloond_host_band balloond_host_margin_squeeze_ratio balloond_host_margins_shared balloond_host_psi_memory_full_avg10_ratio \
        balloond_reclaimed_bytes balloond_reclaimable_bytes balloond_decisions_total balloond_libvirt_errors_total \
        balloond_config_reloads_total balloond_cycles_total balloond_cycle_duration_seconds_bucket \
        balloond_build_info balloond_vm_last_change_timestamp_seconds; do
        check "metric $m" grep -q "^# TYPE ${m%_bucket} " "$work/http.prom"
done

prometheus-node-exporter --web.listen-address="127.0.0.1:$p_node" --collector.disable-defaults --collector.textfile \
        --collector.textfile.directory="$work/textfile" > "$work/node.log" 2>&1 & pids+=($!)
sed 's/interval: 30s/interval: 1s/' "$src/monitoring/prometheus/balloond-rules.yml" > "$work/rules.yml"
cat > "$work/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [ "$work/rules.yml" ]
scrape_configs:
  - job_name: node
    static_configs: [ { targets: [ "127.0.0.1:$p_node" ] } ]
  - job_name: balloond
    static_configs: [ { targets: [ "127.0.0.1:$p_balloond" ] } ]
CONF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
        --web.listen-address="127.0.0.1:$p_prom" > "$work/prometheus.log" 2>&1 & pids+=($!)

query() { curl -sf --get "http://127.0.0.1:$p_prom/api/v1/query" --data-urlencode "query=$1"; }
value() { query "$1" | jq -r '.data.result[0].value[1] // empty'; }
has() { [ -n "$(value "$1")" ]; }
check "Prometheus up" wait_for 120 curl -sf "http://127.0.0.1:$p_prom/-/ready" -o /dev/null
check "via node_exporter's textfile" wait_for 120 has 'balloond_vm_actual_bytes{job="node",domain="web1"}'
check "via balloond's endpoint" wait_for 120 has 'balloond_vm_actual_bytes{job="balloond",domain="web1"}'
want=$(jq -r '.vms[] | select(.name == "web1") | .actual_kib * 1024' "$work/status.json")
check "PromQL (textfile) = balloond's web1 actual ($want)" \
        eq "$(value 'balloond_vm_actual_bytes{job="node",domain="web1"}')" "$want"
check "PromQL (endpoint) = balloond's web1 actual" \
        eq "$(value 'balloond_vm_actual_bytes{job="balloond",domain="web1"}')" "$want"
want=$(jq -r '.vms[] | select(.name == "db1") | .status' "$work/status.json")
check "PromQL: db1 state $want" eq "$(value 'balloond_vm_state{job="balloond",domain="db1",state="excluded"}')" 1
check "PromQL: host band" eq "$(value 'balloond_host_band{job="balloond",band="pressure"}')" 1
check "recording rule evaluated" wait_for 120 has 'cluster:balloond_reclaimed_bytes:sum'
check "no scrape errors" eq "$(value 'min(up)')" 1
finish
