#!/usr/bin/env bash
# Uncached latency of each kind of page (see BENCHMARKS.md, "Uncached pages at the EU's size").
#
#   tools/bench_pages.sh BINARY DB [REQUESTS] < URLS
#
# URLS holds one line per kind of page: a label, then a path (tab-separated). Starts
# `lobbyscope serve` on a free loopback port, then requests each path REQUESTS times (default
# 100) one after the other, each time with a new `nocache=N` parameter, so that the site's page
# cache never answers and every request renders (pages ignore parameters they do not know).
# Prints per kind the median and the 99th percentile of curl's total time and of its time to the
# first byte (which is what matters for streamed exports), and the server's peak RSS, then stops
# the server it started. Only 127.0.0.1 is ever contacted.
set -euo pipefail

bin=${1:?release lobbyscope binary}
db=${2:?database}
requests=${3:-100}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" --db "$db" serve --addr "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 300); do
    curl -sf -o /dev/null "$base/assets/style.css" && break
    sleep 0.1
done

# The n-th percentile of the numbers on stdin (seconds), in milliseconds.
percentile() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int((NR * p + 99) / 100); if (i < 1) i = 1; printf "%.1f", v[i] * 1000 }'; }

printf '%-34s %8s %8s %8s %8s %6s %9s\n' page p50 p99 ttfb50 ttfb99 status bytes
while IFS=$'\t' read -r label path; do
    [ -z "$label" ] && continue
    sep='?'
    case "$path" in *\?*) sep='&' ;; esac
    out=$(mktemp)
    for i in $(seq "$requests"); do
        curl -s -o /dev/null -w '%{time_total} %{time_starttransfer} %{http_code} %{size_download}\n' \
            "$base$path${sep}nocache=$RANDOM$i" >>"$out"
    done
    p50=$(cut -d' ' -f1 "$out" | percentile 50)
    p99=$(cut -d' ' -f1 "$out" | percentile 99)
    f50=$(cut -d' ' -f2 "$out" | percentile 50)
    f99=$(cut -d' ' -f2 "$out" | percentile 99)
    status=$(cut -d' ' -f3 "$out" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
    bytes=$(cut -d' ' -f4 "$out" | sort -n | tail -1)
    printf '%-34s %8s %8s %8s %8s %6s %9s\n' "$label" "$p50" "$p99" "$f50" "$f99" "$status" "$bytes"
    rm -f "$out"
done
echo "server peak RSS: $(awk '/VmHWM/ { print $2, $3 }' "/proc/$server/status")"
