#!/usr/bin/env bash
# Load test of one page of the site on loopback (see BENCHMARKS.md, "Site: organisation page").
#
#   tools/bench_web.sh BINARY DB [PATH] [SECONDS] [CONNECTIONS]
#
# BINARY is a release build of `lobbyscope`, DB a store made by `lobbyscope --db DB demo --no-serve`.
# Starts `lobbyscope serve` on a free loopback port, warms it up, runs wrk (Debian package `wrk`)
# for SECONDS with CONNECTIONS connections and one wrk thread, prints wrk's latency distribution
# and the server's CPU time per request (from /proc), then stops the server it started. Only
# 127.0.0.1 is ever contacted, and every run ends by itself.
set -euo pipefail

bin=${1:?release lobbyscope binary}
db=${2:?database made by lobbyscope demo --no-serve}
path=${3:-/org/06698681039-26}
seconds=${4:-20}
connections=${5:-4}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" --db "$db" serve --addr "127.0.0.1:$port" >/dev/null &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
url="http://127.0.0.1:$port$path"
for _ in $(seq 100); do
    curl -sf -o /dev/null "$url" && break
    sleep 0.1
done
status=$(curl -s -o /dev/null -w '%{http_code}' "$url")
[ "$status" = 200 ] || { echo "$url answered $status" >&2; exit 1; }
echo "page: $url ($(curl -s "$url" | wc -c) bytes)"

# Warm-up: the page cache and SQLite's cache.
wrk -t1 -c"$connections" -d3s "$url" >/dev/null

ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
out=$(wrk -t1 -c"$connections" -d"${seconds}s" --latency "$url")
after=$(ticks)
echo "$out"
requests=$(echo "$out" | awk '/requests in/ {print $1}')
awk -v t=$((after - before)) -v hz="$hz" -v n="$requests" \
    'BEGIN { printf "server CPU: %.2f s for %d requests = %.3f ms per request\n", t / hz, n, 1000 * t / hz / n }'
