#!/usr/bin/env bash
# Benchmark for issue 6: a bounded concurrent load (wrk, loopback only) through a real HAProxy master-worker in front
# of two real HTTP backends, measured
#   A) during 100 runtime changes (weight, drain, ready through the runtime API),
#   B) during 100 hitless reloads (master CLI "reload", each waited for until the new worker runs),
# plus the time from issuing a runtime change to HAProxy reporting it in "show servers state".
# Needs: haproxy (2.6+), wrk, socat, python3. Usage: scripts/bench-haproxy.sh [changes=100] [reloads=100]
# IDLE_CLOSE=0 leaves out "option idle-close-on-response" to show what it prevents (idle keep-alive connections
# closed by the old worker under a client that is just sending its next request: read errors at reload).
set -euo pipefail
CHANGES=${1:-100}
RELOADS=${2:-100}
IDLE_CLOSE=${IDLE_CLOSE:-1}
for tool in haproxy wrk socat python3; do
  command -v "$tool" >/dev/null || { echo "bench-haproxy: '$tool' is required (apt-get install -y haproxy wrk socat python3)" >&2; exit 2; }
done

DIR=$(mktemp -d /tmp/hx-bench-XXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
admin() { echo "$1" | socat - "UNIX-CONNECT:$DIR/admin.sock"; }
master() { echo "$1" | socat - "UNIX-CONNECT:$DIR/master.sock"; }
now_ns() { date +%s%N; }

P1=$(free_port); P2=$(free_port); FE=$(free_port)
for name in web1 web2; do
  mkdir -p "$DIR/$name"; echo "backend $name" > "$DIR/$name/index.html"
done
(cd "$DIR/web1" && exec python3 -m http.server "$P1" --bind 127.0.0.1 >/dev/null 2>&1) & PIDS+=($!)
(cd "$DIR/web2" && exec python3 -m http.server "$P2" --bind 127.0.0.1 >/dev/null 2>&1) & PIDS+=($!)

cat > "$DIR/haproxy.cfg" <<CFG
global
    stats socket $DIR/admin.sock mode 600 level admin expose-fd listeners
defaults
    mode http
$([ "$IDLE_CLOSE" = 1 ] && echo "    option idle-close-on-response")
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:$FE
    default_backend web
backend web
    balance roundrobin
    cookie SERVERID insert indirect nocache
    option httpchk GET /index.html
    server web1 127.0.0.1:$P1 check inter 500 rise 1 fall 2 cookie web1 weight 100
    server web2 127.0.0.1:$P2 check inter 500 rise 1 fall 2 cookie web2 weight 100
CFG
haproxy -W -S "$DIR/master.sock" -f "$DIR/haproxy.cfg" -p "$DIR/haproxy.pid" >"$DIR/haproxy.log" 2>&1 & PIDS+=($!)

for _ in $(seq 100); do
  [ -S "$DIR/admin.sock" ] && [ "$(admin 'show stat' 2>/dev/null | grep -c '^web,web[12],.*,UP,')" = 2 ] && break
  sleep 0.1
done
[ "$(admin 'show stat' | grep -c '^web,web[12],.*,UP,')" = 2 ] || { echo "bench-haproxy: servers did not come UP" >&2; cat "$DIR/haproxy.log" >&2; exit 1; }

# wrk runs until interrupted (it prints its summary on SIGINT); 2 threads, 4 connections, loopback only.
load_start() { wrk -t2 -c4 -d600s --latency "http://127.0.0.1:$FE/" >"$DIR/wrk-$1.txt" 2>&1 & WRK=$!; sleep 1; }
load_stop() { kill -INT "$WRK"; wait "$WRK" || true; }
summarize() {
  local f="$DIR/wrk-$1.txt"
  local total p99 sock non2xx
  total=$(grep -Eo '^ *[0-9]+ requests in' "$f" | grep -Eo '[0-9]+')
  p99=$(awk '$1=="99%"{print $2}' "$f")
  sock=$(grep -E 'Socket errors' "$f" | sed 's/^ *//' || true)
  non2xx=$(grep -Eo 'Non-2xx or 3xx responses: [0-9]+' "$f" | grep -Eo '[0-9]+$' || true)
  printf '%-16s requests %-7s failed(non-2xx) %-4s %s p99 %s\n' "$2" "$total" "${non2xx:-0}" "${sock:-socket errors: none}" "$p99"
}

# A) runtime changes, each followed by a read-back until HAProxy reports it (that interval is the "click to report" time).
load_start runtime
LAT=()
for i in $(seq "$CHANGES"); do
  srv=$([ $((i % 2)) = 0 ] && echo web1 || echo web2)
  w=$((10 + i % 200))
  t0=$(now_ns)
  admin "set server web/$srv weight $w" >/dev/null
  until admin "show servers state web" | awk -v s="$srv" -v w="$w" '$4==s && $8==w {f=1} END{exit !f}'; do :; done
  LAT+=($(( ($(now_ns) - t0) / 1000 )))
  case $((i % 3)) in
    0) admin "set server web/$srv state drain" >/dev/null; admin "set server web/$srv state ready" >/dev/null ;;
    1) admin "set server web/$srv state maint" >/dev/null; admin "set server web/$srv state ready" >/dev/null ;;
  esac
done
load_stop

# B) reloads through the master CLI, each waited for until the master counts it and a new worker runs.
load_start reload
failed_reloads=0
for i in $(seq "$RELOADS"); do
  before=$(master "show proc" | awk '$2=="master"{print $3}')
  master "reload" >/dev/null || true
  for _ in $(seq 200); do
    after=$(master "show proc" 2>/dev/null | awk '$2=="master"{print $3}' || true)
    [ -n "$after" ] && [ "$after" -gt "$before" ] && break
    sleep 0.02
  done
  [ -n "$after" ] && [ "$after" -gt "$before" ] || failed_reloads=$((failed_reloads + 1))
done
load_stop

echo "HAProxy $(haproxy -v | head -1 | awk '{print $3}'), wrk -t2 -c4 on loopback, $(nproc) cores (shared), idle-close-on-response=$IDLE_CLOSE"
summarize runtime "runtime x$CHANGES"
summarize reload "reloads x$RELOADS"
echo "reloads not confirmed: $failed_reloads; master reports: $(master 'show proc' | awk '$2=="master"{print $3, $4, $5}')"
printf '%s\n' "${LAT[@]}" | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; printf "change -> reported in show servers state (us, includes 2+ socat spawns): median %d, p99 %d, max %d over %d changes\n", a[int(NR/2)+1], a[i], a[NR], NR}'
