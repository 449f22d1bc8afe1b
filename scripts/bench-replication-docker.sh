#!/usr/bin/env bash
# Write unavailability and acknowledged writes lost on a stack deployed by the portal: LB + 2 web nodes + a MariaDB
# primary and two replicas with semi-sync, no SQL router (web nodes reach the primary as db-writer). The portal's
# `drill` posts blog comments through the load balancer's published port, every acknowledged one recorded, while the
# primary is switched over, killed (docker kill) or paused (docker pause); failures are detected every 250 ms (3 checks).
# Between and after runs the old primary is brought back and rejoins as a replica. Prints each kind's median.
#
# Usage: scripts/bench-replication-docker.sh [RUNS]      (default 5 runs per kind)
# Env:   HAPORTAL_BENCH_KINDS ("switchover kill"; add "pause": detection then waits for slave_net_timeout, 5 s)
#        Deploy__WebImage etc. to use other images (default haportal/<role>:dev)
# Needs: dockerd, the role images (scripts/build-images.sh), jq, the .NET SDK. Everything on loopback; removed after.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
kinds=${HAPORTAL_BENCH_KINDS:-switchover kill}
work=$(mktemp -d /tmp/haportal-bench-repl.XXXXXX)
name="benchrepl$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
deployed=no
cleanup() {
  [ "$deployed" = yes ] && (cd "$work" && "$portal" destroy "$name" --volumes >/dev/null 2>&1) || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "bench-replication-docker: building the Portal (Release)" >&2
dotnet build "$repo/Portal/Portal.csproj" -c Release -nologo -v q -clp:ErrorsOnly -o "$work/portal" >/dev/null
portal="$work/portal/Portal"
export Deploy__PublishAddress=127.0.0.1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cat > "$work/$name.yaml" <<EOF
name: $name
loadBalancer:
  publishPort: $(free_port)
  stats:
    publishPort: $(free_port)
  healthCheck:
    intervalMs: 1000
web:
  nodes:
    - name: web1
    - name: web2
database:
  appSchema: blog
  semiSync: true
  autoFailover:
    enabled: false
    checks: 3
    intervalMs: 250
  primary:
    name: db1
  replicas:
    - name: db2
    - name: db3
EOF

cd "$work"
"$portal" import "$name.yaml" >/dev/null
deployed=yes
echo "bench-replication-docker: deploying $name" >&2
"$portal" apply "$name" >/dev/null

for kind in $kinds; do
  echo "bench-replication-docker: $runs $kind drill(s)" >&2
  "$portal" drill "$name" --kind "$kind" --runs "$runs" --json > "$kind.json" || true
  jq -r --arg kind "$kind" '
    [.runs[] | select(.unavailableMs != null) | .unavailableMs] as $u
    | "\($kind): runs \(.runs | map(select(.newPrimary != null)) | length), write unavailability per run (s) "
      + ($u | map(. / 1000 * 1000 | round / 1000 | tostring) | join(" "))
      + ", median \(.medianUnavailableSeconds // "n/a" | tostring | .[0:5]) s, acknowledged \([.runs[].acknowledged] | add),"
      + " acknowledged lost \(.acknowledgedLost), duplicated \(.duplicated), all succeeded \(.succeeded)"' "$kind.json"
  # What did not succeed (a run, or bringing the old primary back after it), in the drill's own words.
  jq -r '.runs[] | select(.succeeded | not) | "  not succeeded: \(.summary)"' "$kind.json"
done
