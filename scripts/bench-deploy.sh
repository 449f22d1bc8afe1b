#!/usr/bin/env bash
# Seconds from "go" to a healthy, replicating stack: the portal's `apply` against `docker-compose up -d`
# of the same topology exported with `export --compose` (same images, already present), for the seed-like
# stack (LB + 2 web + primary + 1 replica) and a larger one (LB + 8 web + primary + 3 replicas).
# Both clocks stop on the same readiness, polled the same way: every web node answers GET /health through
# the load balancer's published port, and every replica has its IO and SQL threads running and has applied
# the primary's GTID position. Everything runs on loopback; each stack is removed (with its volumes) after.
#
# Usage: scripts/bench-deploy.sh            Env: HAPORTAL_BENCH_RUNS (1) runs per size and method
# Needs: dockerd, the role images (scripts/build-images.sh; run here for web, which needs the .NET SDK when the
#        sources changed), docker-compose, curl.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${HAPORTAL_BENCH_RUNS:-1}
compose=$(command -v docker-compose) || { echo "docker-compose is missing (apt-get install docker-compose)" >&2; exit 1; }
work=$(mktemp -d /tmp/haportal-bench-deploy.XXXXXX)
current=""
cleanup() {
  if [ -n "$current" ]; then
    (cd "$work" && "$portal" destroy "$current" --volumes >/dev/null 2>&1) || true
    [ -f "$work/$current/docker-compose.yml" ] && (cd "$work/$current" && "$compose" -p "$current" down -v >/dev/null 2>&1) || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The command line is the release build, the one the web nodes run: scripts/build-images.sh publishes it (self-contained,
# ReadyToRun composite, tiering off; ADR 0014) into the web image, brought up to date here and copied out of it.
echo "bench-deploy: the Portal from the web image (scripts/build-images.sh web)" >&2
"$repo/scripts/build-images.sh" web >&2
image_copy=$(docker create "${HAPORTAL_IMAGE_PREFIX:-haportal}/web:${HAPORTAL_IMAGE_TAG:-dev}")
docker cp "$image_copy:/app" "$work/portal"
docker rm "$image_copy" >/dev/null
portal="$work/portal/Portal"
export Deploy__PublishAddress=127.0.0.1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

# topology NAME WEB REPLICAS PORT STATS → YAML on stdout
topology() {
  local name=$1 web=$2 replicas=$3 port=$4 stats=$5 i
  printf 'name: %s\nloadBalancer:\n  publishPort: %s\n  stats:\n    publishPort: %s\n  healthCheck:\n    intervalMs: 1000\nweb:\n  nodes:\n' "$name" "$port" "$stats"
  for i in $(seq 1 "$web"); do printf '    - name: web%s\n' "$i"; done
  printf 'database:\n  appSchema: blog\n  primary:\n    name: db1\n  replicas:\n'
  for i in $(seq 2 $((replicas + 1))); do printf '    - name: db%s\n' "$i"; done
}

# ready NAME WEB REPLICAS PORT: true when every web node answered through the LB and every replica caught up.
# One curl for all the requests (one process, not one per request: with 8 web nodes the check itself took a few
# tenths of a second of the clock, for compose as for apply); cookies are not kept, so each request is balanced anew.
web_ready() {
  local port=$1 web=$2 seen urls=()
  for _ in $(seq 1 $((web * 2))); do urls+=("http://127.0.0.1:$port/health"); done
  seen=$(curl -s -m 2 -o /dev/null -D - "${urls[@]}" 2>/dev/null | tr -d '\r' \
    | sed -n 's/^[Ss]et-[Cc]ookie: SERVERID=\([^;]*\).*/\1/p' | sort -u | wc -l)
  [ "$seen" -ge "$web" ]
}
# One exec per replica, all at once: with 3 replicas, one after the other, the check itself took a second of the clock.
replica_ready() {
  local container=$1 pos=$2 status
  status=$(docker exec "$container" sh -c 'mariadb -e "SHOW SLAVE STATUS\G" && mariadb --batch --skip-column-names -e "SELECT @@gtid_slave_pos"' 2>/dev/null) || return 1
  grep -q 'Slave_IO_Running: Yes' <<<"$status" && grep -q 'Slave_SQL_Running: Yes' <<<"$status" && [ "$(tail -n 1 <<<"$status")" = "$pos" ]
}
replicas_ready() {
  local name=$1 replicas=$2 pos i pids=() ok=0
  pos=$(docker exec "$name-db1" mariadb --batch --skip-column-names -e 'SELECT @@gtid_binlog_pos' 2>/dev/null) || return 1
  [ -n "$pos" ] || return 1
  for i in $(seq 2 $((replicas + 1))); do replica_ready "$name-db$i" "$pos" & pids+=($!); done
  for i in "${pids[@]}"; do wait "$i" || ok=1; done
  return $ok
}
wait_ready() {
  local name=$1 web=$2 replicas=$3 port=$4 t0=$5
  until web_ready "$port" "$web" && replicas_ready "$name" "$replicas"; do
    if [ "$(echo "$(now) - $t0 > 600" | bc)" = 1 ]; then echo "bench-deploy: $name not ready within 600 s" >&2; return 1; fi
    sleep 0.2
  done
}

# measure METHOD WEB REPLICAS → seconds on stdout
measure() {
  local method=$1 web=$2 replicas=$3 name port t0 t
  name="bench${method:0:1}$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  port=$(free_port)
  mkdir -p "$work/$name"
  topology "$name" "$web" "$replicas" "$port" "$(free_port)" > "$work/$name/topology.yaml"
  current=$name
  if [ "$method" = apply ]; then
    t0=$(now)
    (cd "$work" && "$portal" apply "$work/$name/topology.yaml" >"$work/$name/apply.log" 2>&1) \
      || { cat "$work/$name/apply.log" >&2; return 1; }
  else
    (cd "$work" && "$portal" export --compose "$work/$name/topology.yaml" -o "$work/$name/docker-compose.yml" >/dev/null)
    t0=$(now)
    (cd "$work/$name" && "$compose" -p "$name" up -d >"$work/$name/up.log" 2>&1) || { cat "$work/$name/up.log" >&2; return 1; }
  fi
  wait_ready "$name" "$web" "$replicas" "$port" "$t0"
  t=$(echo "$(now) - $t0" | bc)
  if [ "$method" = apply ]; then
    (cd "$work" && "$portal" destroy "$name" --volumes >/dev/null)
  else
    (cd "$work/$name" && "$compose" -p "$name" down -v >/dev/null 2>&1)
  fi
  current=""
  # Removing a stack leaves the engine and the kernel busy for a few seconds; the next measurement starts quiet.
  sleep 5
  printf '%.1f\n' "$t"
}

median() { sort -n | awk '{ a[NR]=$1 } END { m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m }'; }

printf '%-28s %12s %18s\n' "stack" "apply (s)" "compose up (s)"
for size in "2 1" "8 3"; do
  set -- $size
  a=(); c=()
  for _ in $(seq 1 "$runs"); do
    a+=("$(measure apply "$1" "$2")")
    c+=("$(measure compose "$1" "$2")")
  done
  printf '%-28s %12s %18s   runs: apply %s; compose %s\n' "LB + $1 web + primary + $2 replica(s)" \
    "$(printf '%s\n' "${a[@]}" | median)" "$(printf '%s\n' "${c[@]}" | median)" "${a[*]}" "${c[*]}"
done
echo "(median of $runs run(s) each; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
