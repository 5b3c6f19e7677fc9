#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, reachable only on a Unix socket in DIR.
#
#   tools/postgres.sh start DIR   prints the connection URL (the only line on stdout)
#   tools/postgres.sh stop DIR
#
# Durability is switched off: the data is worth nothing once the tests are done.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
die() { echo "postgres.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] && [ -n "$2" ] || usage
case $1 in
    start) mkdir -p "$2" ;;
    stop) [ -d "$2" ] || exit 0 ;;
    *) usage ;;
esac
dir=$(cd "$2" && pwd -P)
data=$dir/data
log=$dir/server.log

bindir=$(pg_config --bindir 2>/dev/null || true)
# libpq-dev's pg_config may name a version whose server is not installed.
[ -x "$bindir/initdb" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || die "no PostgreSQL server found (apt-get install postgresql)"

# PostgreSQL refuses to run as root.
as=()
if [ "$(id -u)" = 0 ]; then
    user=postgres
    id -u "$user" >/dev/null 2>&1 || user=nobody
    as=(runuser -u "$user" --)
fi
# That user may be unable to enter the caller's working directory (such as /root).
cd "$dir"
pg() { "${as[@]}" "$bindir/$@"; }
running() { [ -d "$data" ] && pg pg_ctl status -D "$data" >/dev/null 2>&1; }

if [ "$1" = stop ]; then
    if running; then pg pg_ctl stop -D "$data" -m fast -s >&2; fi
    exit 0
fi

if [ ! -f "$data/PG_VERSION" ]; then
    # DIR is handed over to the server's user: never a directory that holds anything else.
    [ -z "$(ls -A "$dir")" ] || die "$dir is neither empty nor a server's directory"
    # The socket's path must fit in sun_path (108 bytes).
    [ ${#dir} -le 90 ] || die "$dir is too long a path for a Unix socket"
    if [ ${#as[@]} -gt 0 ]; then
        chown "$user" "$dir"
        "${as[@]}" test -w "$dir" || die "$user cannot reach $dir (is a parent directory private?)"
    fi
    locale=C.UTF-8
    locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' || locale=C
    out=$(pg initdb -D "$data" -U lobbyscope --auth=trust -E UTF8 --locale="$locale" --no-sync 2>&1) ||
        die "initdb failed: $out"
    cat >>"$data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 128MB
EOF
fi

failed() {
    echo "postgres.sh: the server in $data does not accept connections; its log ($log):" >&2
    cat "$log" >&2 || true
    pg pg_ctl stop -D "$data" -m immediate -s >/dev/null 2>&1 || true
    exit 1
}
# pg_ctl -w notices a server that dies while starting; the loop covers one started earlier.
running || pg pg_ctl start -D "$data" -l "$log" -w -t 30 -s >&2 || failed
ready() { pg pg_isready -q -h "$dir" -p 5432 -U lobbyscope -d postgres; }
for _ in $(seq 300); do ready && break; sleep 0.1; done
ready || failed

# sqlx and libpq both read the socket directory from host=, percent-decoded (byte by byte).
LC_ALL=C
enc=
for ((i = 0; i < ${#dir}; i++)); do
    c=${dir:i:1}
    case $c in [A-Za-z0-9/._~-]) enc+=$c ;; *) enc+=$(printf '%%%02X' "'$c") ;; esac
done
echo "postgres://lobbyscope@localhost/postgres?host=$enc"
