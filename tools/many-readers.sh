#!/usr/bin/env bash
# deploy/nginx.conf end to end on this machine: two `lobbyscope serve` processes on one
# PostgreSQL database behind nginx (README, "Running it for many readers").
#
#   tools/many-readers.sh [FILE]
#
# Starts a throwaway PostgreSQL server (tools/postgres.sh), imports demo/ into a new database,
# starts two servers on free loopback ports and nginx in front of them (a copy of
# deploy/nginx.conf with those ports), then checks through nginx: the probes, the home page's
# JSON, an organisation's page, compression, ETag revalidation, a CSV export, the request size
# limit, that both servers answered requests (nginx's access log names the upstream of each),
# that requests still succeed after one server is killed, and that an import of FILE (default
# fixtures/ep_meetings/bom_crlf_quoted.csv, meetings the demo does not have) made through the
# CLI shows through nginx within 10 s. Prints one line per check and PASS or FAIL; exits
# non-zero on failure. Everything it starts is stopped on exit and its temporary directory
# removed. Only loopback addresses and a Unix socket are used.
#
# Needs PostgreSQL's server (Debian `postgresql`), `nginx` (Debian `nginx` or `nginx-light`),
# curl and jq. The binary is $LOBBYSCOPE_BIN (default target/release/lobbyscope, built with
# `cargo build --release -p lobbyscope` if missing; target/debug/lobbyscope works as well),
# nginx is $NGINX (default: nginx on the PATH).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
extra=${1:-$here/fixtures/ep_meetings/bom_crlf_quoted.csv}
bin=${LOBBYSCOPE_BIN:-$here/target/release/lobbyscope}
nginx=${NGINX:-nginx}
org=953701819437-32

say() { echo "many-readers: $*"; }
die() { echo "many-readers: FAIL (setup): $*" >&2; exit 1; }

for tool in curl jq "$nginx"; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -f "$extra" ] || die "no file $extra to import"
extra=$(cd "$(dirname "$extra")" && pwd -P)/$(basename "$extra")
if [ ! -x "$bin" ]; then
    [ -z "${LOBBYSCOPE_BIN:-}" ] || die "LOBBYSCOPE_BIN=$bin is not an executable"
    say "building $bin"
    (cd "$here" && cargo build --release -p lobbyscope --locked) || die "cargo build failed"
fi
"$bin" --help | grep -q 'postgres://' || die "$bin predates PostgreSQL support: rebuild it, or set LOBBYSCOPE_BIN"

# --- everything started is noted here and stopped on exit ------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/many-readers.XXXXXX")
# postgres.sh hands its directory to the `postgres` user when run as root, and nginx's workers
# run as `nobody`: both must be able to enter this one.
chmod 755 "$work"
servers=()
nginx_pid=
cleanup() {
    local rc=$?
    set +e
    for pid in "${servers[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2>/dev/null
        wait "$nginx_pid" 2>/dev/null
    fi
    "$here/tools/postgres.sh" stop "$work/pg" >/dev/null 2>&1
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Shows a log's last lines when a step fails.
tail_of() { [ ! -s "$1" ] || { echo "--- last lines of $(basename "$1"):"; tail -n 20 "$1"; } >&2; }

# --- PostgreSQL and the demo data -------------------------------------------------------------
admin=$("$here/tools/postgres.sh" start "$work/pg") || die "tools/postgres.sh could not start a server"
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c 'CREATE DATABASE lobbyscope' || die "CREATE DATABASE failed"
# The same server and socket, the new database.
base=${admin%%\?*}
db="${base%/*}/lobbyscope?${admin#*\?}"
say "database $db"

started=$SECONDS
"$bin" --db "$db" import --quiet "$here/demo" >"$work/import-demo.log" 2>&1 ||
    { tail_of "$work/import-demo.log"; die "importing demo/ failed"; }
say "imported demo/ in $((SECONDS - started)) s"

# --- two servers ------------------------------------------------------------------------------
# Port 0: each server takes a free port and prints it.
for name in a b; do
    "$bin" --db "$db" --pool-size 4 --statement-timeout 10 serve --addr 127.0.0.1:0 >"$work/serve-$name.log" 2>&1 &
    servers+=("$!")
done
ports=()
for name in a b; do
    port=
    for _ in $(seq 300); do
        port=$(sed -n 's|^Serving on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/serve-$name.log")
        [ -z "$port" ] || break
        sleep 0.1
    done
    [ -n "$port" ] || { tail_of "$work/serve-$name.log"; die "server $name did not start"; }
    ports+=("$port")
done
port_a=${ports[0]}
port_b=${ports[1]}
say "servers on 127.0.0.1:$port_a (a, pid ${servers[0]}) and 127.0.0.1:$port_b (b, pid ${servers[1]})"

# --- nginx ------------------------------------------------------------------------------------
# A port nothing answers on (nginx cannot report a port it was given as 0).
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
port_n=$(free_port) || die "no free port found"
prefix=$work/nginx
mkdir "$prefix"
chmod 755 "$prefix"
sed -e "s|server 127\.0\.0\.1:8081 |server 127.0.0.1:$port_a |" \
    -e "s|server 127\.0\.0\.1:8082 |server 127.0.0.1:$port_b |" \
    -e "s|listen 127\.0\.0\.1:8080;|listen 127.0.0.1:$port_n;|" \
    "$here/deploy/nginx.conf" >"$prefix/nginx.conf"
# Started as another user than root, nginx ignores `user` and warns: leave the line out then.
[ "$(id -u)" = 0 ] || sed -i '/^user /d' "$prefix/nginx.conf"
for want in "server 127.0.0.1:$port_a " "server 127.0.0.1:$port_b " "listen 127.0.0.1:$port_n;"; do
    grep -qF "$want" "$prefix/nginx.conf" || die "deploy/nginx.conf no longer has the lines this script rewrites"
done
ngx=("$nginx" -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/error.log")
"${ngx[@]}" -t >"$work/nginx-t.log" 2>&1 || { tail_of "$work/nginx-t.log"; die "nginx -t rejects the configuration"; }
"${ngx[@]}" &
nginx_pid=$!
front=http://127.0.0.1:$port_n
for _ in $(seq 100); do
    curl -s -o /dev/null "$front/healthz" && break
    kill -0 "$nginx_pid" 2>/dev/null || { tail_of "$prefix/error.log"; die "nginx exited"; }
    sleep 0.1
done
say "nginx $("$nginx" -v 2>&1 | sed 's|.*/||') on $front (pid $nginx_pid)"

# --- the checks -------------------------------------------------------------------------------
checks=0
failed=0
pass() { checks=$((checks + 1)); echo "  ok    $*"; }
fail() { checks=$((checks + 1)); failed=$((failed + 1)); echo "  FAIL  $*"; }

# get URL [curl options…]: sets $status, the body in $work/body, the headers in $work/headers.
get() {
    local url=$1
    shift
    status=$(curl -sS --max-time 15 -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@" "$url" 2>"$work/curl.err") ||
        status=000
}
header() { sed -n "s|^$1: *\(.*\)\r\$|\1|Ip" "$work/headers" | tail -n 1; }
status_is() { # status_is WHAT WANTED-STATUS URL [curl options…]
    local what=$1 want=$2
    shift 2
    get "$@"
    if [ "$status" = "$want" ]; then pass "$what: $status"; else fail "$what: $status, expected $want $(cat "$work/curl.err")"; fi
}
meetings() { # the meeting count /api shows through nginx, or nothing
    get "$front/api"
    [ "$status" = 200 ] && jq -e '.stats.meetings' "$work/body" 2>/dev/null
}
# Requests the upstream on port $1 answered, from nginx's access log: the last address of
# $upstream_addr (a request retried on another server names both, "A, B").
served_by() {
    sed -n 's|.* upstream=\(.*\) upstream_status=.*|\1|p' "$prefix/access.log" | sed 's|.*, ||' |
        grep -cx "127\.0\.0\.1:$1" || true
}

echo "checks:"
for i in 0 1; do
    name=$([ "$i" = 0 ] && echo a || echo b)
    status_is "server $name /healthz, directly" 200 "http://127.0.0.1:${ports[i]}/healthz"
    status_is "server $name /readyz, directly" 200 "http://127.0.0.1:${ports[i]}/readyz"
done
status_is "/readyz through nginx" 200 "$front/readyz"

count=$(meetings || true)
if [ -n "$count" ] && [ "$count" -gt 0 ]; then pass "/api stats.meetings: $count"; else fail "/api stats.meetings: '${count}'"; fi

get "$front/org/$org"
if [ "$status" = 200 ] && grep -q 'Internet Society' "$work/body"; then
    pass "/org/$org: 200, the Internet Society's page"
else
    fail "/org/$org: $status"
fi

get "$front/api/org/$org" -H 'Accept-Encoding: gzip'
encoding=$(header Content-Encoding)
if [ "$status" = 200 ] && [ "$encoding" = gzip ] && [ -n "$(header Vary)" ]; then
    pass "/api/org/$org gzipped: $(wc -c <"$work/body") bytes, $(gzip -dc "$work/body" | wc -c) unpacked"
else
    fail "/api/org/$org gzipped: status $status, Content-Encoding '$encoding'"
fi

# Revalidation: the ETag of a compressed page is weakened by nginx and comes back so.
get "$front/org/$org" -H 'Accept-Encoding: gzip'
tag=$(header ETag)
get "$front/org/$org" -H 'Accept-Encoding: gzip' -H "If-None-Match: $tag"
if [ -n "$tag" ] && [ "$status" = 304 ]; then pass "If-None-Match $tag: 304"; else fail "If-None-Match '$tag': $status"; fi

# A streamed export, buffered by nothing on the way (deploy/nginx.conf: `location ~ \.csv$`).
get "$front/orgs.csv"
rows=$(($(wc -l <"$work/body") - 1))
type=$(header Content-Type)
if [ "$status" = 200 ] && [[ $type == text/csv* ]] && [ "$rows" -gt 1000 ]; then
    pass "/orgs.csv: $rows rows, $type"
else
    fail "/orgs.csv: status $status, '$type', $rows rows"
fi
get "$front/orgs.csv" -H 'Accept-Encoding: gzip'
if [ "$status" = 200 ] && [ "$(header Content-Encoding)" = gzip ] && [ "$(gzip -dc "$work/body" | wc -l)" = $((rows + 1)) ]; then
    pass "/orgs.csv gzipped: the same $rows rows in $(wc -c <"$work/body") bytes"
else
    fail "/orgs.csv gzipped: status $status, Content-Encoding '$(header Content-Encoding)'"
fi

status_is "a 100 kB request body" 413 "$front/" --data-binary "@-" < <(head -c 100000 /dev/zero | tr '\0' x)

# Load spread: a mix of pages, one connection each.
paths=(/ /orgs "/org/$org" "/api/org/$org" /api /orgs.csv "/orgs?sort=name" /about/checking)
bad=0
for _ in 1 2 3; do
    for path in "${paths[@]}"; do
        get "$front$path"
        [ "$status" = 200 ] || { bad=$((bad + 1)); echo "        $path: $status"; }
    done
done
hits_a=$(served_by "$port_a")
hits_b=$(served_by "$port_b")
if [ "$bad" = 0 ]; then pass "${#paths[@]} pages 3 times: all 200"; else fail "$bad of $((3 * ${#paths[@]})) requests failed"; fi
if [ "$hits_a" -gt 0 ] && [ "$hits_b" -gt 0 ]; then
    pass "both servers answered: a $hits_a requests, b $hits_b (nginx's access log)"
else
    fail "not both servers answered: a $hits_a requests, b $hits_b"
fi

# Failover: server a dies (as in a crash); nginx sends its share to b.
kill -KILL "${servers[0]}"
wait "${servers[0]}" 2>/dev/null || true
servers=("${servers[1]}")
before_b=$(served_by "$port_b")
lines_before=$(wc -l <"$prefix/access.log")
bad=0
for _ in 1 2; do
    for path in "${paths[@]}"; do
        get "$front$path"
        [ "$status" = 200 ] || { bad=$((bad + 1)); echo "        $path: $status"; }
    done
done
total=$((2 * ${#paths[@]}))
retried=$(tail -n +"$((lines_before + 1))" "$prefix/access.log" | grep -c "upstream=127\.0\.0\.1:$port_a, " || true)
if [ "$bad" = 0 ] && [ $(($(served_by "$port_b") - before_b)) = "$total" ]; then
    pass "server a killed: $total requests all 200, all from b ($retried tried a first)"
else
    fail "server a killed: $bad of $total requests failed"
fi
status_is "/readyz through nginx, a down" 200 "$front/readyz"

# An import through the CLI, seen through nginx past b's page cache.
before=$(meetings || true)
"$bin" --db "$db" import --quiet "$extra" >"$work/import-extra.log" 2>&1 ||
    { tail_of "$work/import-extra.log"; fail "importing $(basename "$extra")"; }
imported=$(date +%s%N)
after=$before
while [ $(($(date +%s%N) - imported)) -lt 10000000000 ]; do
    after=$(meetings || true)
    [ "$after" = "$before" ] || break
    sleep 0.1
done
lag=$((($(date +%s%N) - imported) / 1000000))
if [ -n "$before" ] && [ -n "$after" ] && [ "$after" != "$before" ]; then
    pass "import of $(basename "$extra"): meetings $before -> $after through nginx after $lag ms"
else
    fail "import of $(basename "$extra"): meetings still '$after' (was '$before') after $lag ms"
fi

if grep -q '\[emerg\]\|\[alert\]\|\[crit\]' "$prefix/error.log"; then
    fail "nginx's error log has serious entries"
    tail_of "$prefix/error.log"
fi

if [ "$failed" = 0 ]; then
    echo "PASS: $checks checks"
else
    echo "FAIL: $failed of $checks checks failed"
    for log in "$work"/serve-*.log "$prefix/error.log"; do tail_of "$log"; done
    exit 1
fi
