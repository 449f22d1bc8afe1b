#!/bin/sh
# First start on an empty data directory: create the system tables (no binlog is written, so a
# replica's GTID history starts where the primary's does). Then run the server in the foreground.
#
# Self-bootstrapping (compose, Swarm: targets where the portal cannot exec): when that first start
# finds SQL files in /etc/haportal/init.d, it runs them in name order on a server that listens on no
# port (--skip-networking), so a client can connect only once the bootstrap is done; ${HAPORTAL_*}
# variables in them are expanded from the environment (passwords stay out of the files). Without
# such files nothing changes: the Docker deploy bootstraps through exec.
set -e
datadir=/var/lib/mysql
initdir=/etc/haportal/init.d
chown mysql:mysql "$datadir" /run/mysqld

first_start=no
if [ ! -d "$datadir/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db --auth-root-authentication-method=socket >/dev/null
  first_start=yes
fi

run_init_files() {
  mariadbd --user=mysql --skip-networking --skip-slave-start &
  pid=$!
  tries=0
  until mariadb-admin ping --silent >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "haportal-mariadb: the bootstrap server exited" >&2; exit 1; }
    tries=$((tries + 1))
    [ "$tries" -lt 600 ] || { echo "haportal-mariadb: the bootstrap server did not answer within 60 s" >&2; exit 1; }
    sleep 0.1
  done
  for f in "$initdir"/*.sql; do
    echo "haportal-mariadb: running $(basename "$f")"
    # Only ${HAPORTAL_...} names are expanded; an unset one is an error rather than an empty password.
    if ! sql=$(perl -pe 's/\$\{(HAPORTAL_[A-Z0-9_]+)\}/defined $ENV{$1} ? $ENV{$1} : die("$1 is not set\n")/ge' "$f") \
      || ! printf '%s\n' "$sql" | mariadb --batch; then
      # Emptied again, so the next start (restart policy) bootstraps from the beginning.
      echo "haportal-mariadb: $(basename "$f") failed" >&2
      kill "$pid"; wait "$pid" || true
      rm -rf "${datadir:?}"/*
      exit 1
    fi
  done
  mariadb-admin shutdown
  wait "$pid" || true
}

if [ "$first_start" = yes ] && ls "$initdir"/*.sql >/dev/null 2>&1; then
  run_init_files
fi
exec mariadbd --user=mysql
