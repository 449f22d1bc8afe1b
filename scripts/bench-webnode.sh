#!/usr/bin/env bash
# Front-page throughput of one web node against a local MariaDB primary/replica pair (GTID replication).
# Starts everything in a temp folder, runs wrk over loopback, prints requests/s and p99, and cleans up after itself.
#
#   scripts/bench-webnode.sh [duration=20s] [connections=32] [threads=2]
#
# Needs: mariadb-server (mariadbd, mariadb-install-db, mariadb client), wrk, curl, the .NET SDK.
set -euo pipefail

DURATION=${1:-20s}
CONNECTIONS=${2:-32}
THREADS=${3:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/haportal-bench-XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || { echo "missing: $1 ($2)" >&2; exit 2; }; }
need mariadbd "apt-get install mariadb-server"
need mariadb-install-db "apt-get install mariadb-server"
need mariadb "apt-get install mariadb-client"
need wrk "apt-get install wrk"
need curl "apt-get install curl"
MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start_db() { # name server_id port
  local dir="$WORK/$1"
  mkdir -p "$dir/data"
  mariadb-install-db --no-defaults --user=root --datadir="$dir/data" --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1
  "$MARIADBD" --no-defaults --user=root --datadir="$dir/data" --port="$3" --bind-address=127.0.0.1 --skip-name-resolve \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" --relay-log="$dir/data/relay-bin" \
    --server-id="$2" --log-bin --binlog-format=ROW --log-slave-updates --gtid-strict-mode=1 --report-host="$1" \
    --innodb-buffer-pool-size=128M --performance-schema=OFF --max-connections=500 >/dev/null 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 300); do
    mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.2
  done
  mariadb --no-defaults -uroot --socket="$dir/mysqld.sock" -e "SET sql_log_bin=0; DELETE FROM mysql.global_priv WHERE User=''; FLUSH PRIVILEGES;"
}
sql() { mariadb --no-defaults -uroot --socket="$WORK/$1/mysqld.sock" -N -e "$2"; }

P1=$(free_port); P2=$(free_port); WEB=$(free_port)
echo "== starting MariaDB primary (:$P1) and replica (:$P2) in $WORK"
start_db db1 1 "$P1"
start_db db2 2 "$P2"
sql db1 "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl-bench'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1';
         CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-bench'; CREATE DATABASE appdb; GRANT ALL ON appdb.* TO 'app'@'127.0.0.1';"
sql db2 "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$P1, MASTER_USER='repl', MASTER_PASSWORD='repl-bench',
         MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE; SET GLOBAL read_only=ON;"

echo "== publishing the portal (Release)"
dotnet publish "$ROOT/Portal/Portal.csproj" -c Release -o "$WORK/publish" --nologo -v quiet >"$WORK/publish.log" 2>&1 \
  || { cat "$WORK/publish.log"; exit 1; }

echo "== starting one web node on :$WEB (writes to the primary, reads from the replica)"
(
  cd "$WORK/publish"
  ConnectionStrings__App="Server=127.0.0.1;Port=$P1;User ID=app;Password=app-bench;Database=appdb" \
  ConnectionStrings__AppRead="Server=127.0.0.1;Port=$P2;User ID=app;Password=app-bench;Database=appdb" \
  Node__Name=web-bench Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production \
  exec dotnet Portal.dll --role web-node --urls "http://127.0.0.1:$WEB" >"$WORK/web.log" 2>&1
) &
PIDS+=($!)
for _ in $(seq 1 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WEB/health")" = 200 ] && break
  sleep 0.2
done
[ "$(curl -s "http://127.0.0.1:$WEB/health")" = ok ] || { echo "web node not healthy:"; cat "$WORK/web.log"; exit 1; }
# Wait for the replica to have the schema and seed posts before reading from it.
POS=$(sql db1 "SELECT @@gtid_binlog_pos")
sql db2 "SELECT MASTER_GTID_WAIT('$POS', 30)" >/dev/null
curl -sf "http://127.0.0.1:$WEB/" | grep -q "Sticky sessions, explained" || { echo "front page does not list the seed posts"; exit 1; }

echo "== warming up (5 s)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "http://127.0.0.1:$WEB/" >/dev/null
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency http://127.0.0.1:$WEB/"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$WEB/" | tee "$WORK/wrk.txt"

RPS=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
P99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
NON2XX=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt")
echo
echo "front page: ${RPS} requests/s, p99 ${P99}${NON2XX:+, non-2xx: $NON2XX} ($(nproc) cores, shared with whatever else runs; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
