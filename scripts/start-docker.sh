#!/usr/bin/env bash
# Installs the Docker engine (Debian's docker.io) and debootstrap when missing, starts dockerd in
# the background when it is not answering, waits for its socket, and makes the engine a one-node
# Swarm (for the Swarm deploy tests) when it is in none. Safe to run again.
# Env: HAPORTAL_DOCKERD_LOG (default /var/log/haportal-dockerd.log),
#      HAPORTAL_DOCKER_STORAGE_DRIVER (default: overlay2 when the kernel has overlayfs and Docker's
#      data root is not itself on overlayfs, else vfs, which works everywhere, including inside
#      containers, but copies a container's whole image when it is created: a deploy of the seed
#      stack took about twice as long on it).
set -euo pipefail

log=${HAPORTAL_DOCKERD_LOG:-/var/log/haportal-dockerd.log}
data_root=/var/lib/docker
default_driver() {
  local fs
  mkdir -p "$data_root"
  fs=$(stat -f -c %T "$data_root" 2>/dev/null || echo unknown)
  if grep -qw overlay /proc/filesystems 2>/dev/null && [ "$fs" != overlayfs ] && [ "$fs" != tmpfs ]; then
    echo overlay2
  else
    echo vfs
  fi
}
driver=${HAPORTAL_DOCKER_STORAGE_DRIVER:-$(default_driver)}
sock=/var/run/docker.sock
# Debian's client, not whichever docker binary comes first on PATH.
docker_cli=/usr/bin/docker

started=$(date +%s)
say() { echo "start-docker: $*"; }

missing=()
[ -x /usr/sbin/dockerd ] || [ -x /usr/bin/dockerd ] || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

engine_answers() { [ -S "$sock" ] && "$docker_cli" -H "unix://$sock" version >/dev/null 2>&1; }

if engine_answers; then
  say "engine already running"
else
  dockerd_bin=$(command -v dockerd || echo /usr/sbin/dockerd)
  # start DRIVER: true once the engine answers; false when dockerd exits first (e.g. overlay2 refused) or after 60 s.
  start() {
    say "starting $dockerd_bin (storage driver $1, log $log)"
    # setsid: dockerd must outlive this script and the shell that ran it.
    setsid "$dockerd_bin" --storage-driver="$1" --host="unix://$sock" >>"$log" 2>&1 < /dev/null &
    local pid=$!
    for _ in $(seq 1 60); do
      engine_answers && return 0
      kill -0 "$pid" 2>/dev/null || return 1
      sleep 1
    done
    return 1
  }
  if ! start "$driver" && [ -z "${HAPORTAL_DOCKER_STORAGE_DRIVER:-}" ] && [ "$driver" = overlay2 ] && ! engine_answers; then
    say "dockerd did not come up on overlay2; falling back to vfs"
    pkill -x dockerd 2>/dev/null || true
    sleep 2
    start vfs || true
  fi
  if ! engine_answers; then
    say "dockerd did not answer on $sock within 60 s; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
fi

# A one-node Swarm on loopback: the Swarm deploy (deploy.target swarm) and its end-to-end test need a manager.
# Plain containers are unaffected. Set HAPORTAL_NO_SWARM=1 to leave the engine out of any Swarm.
if [ -z "${HAPORTAL_NO_SWARM:-}" ]; then
  state=$("$docker_cli" -H "unix://$sock" info --format '{{.Swarm.LocalNodeState}}')
  if [ "$state" = inactive ]; then
    say "initialising a one-node Swarm (docker swarm init --advertise-addr 127.0.0.1)"
    "$docker_cli" -H "unix://$sock" swarm init --advertise-addr 127.0.0.1 >/dev/null
  else
    say "Swarm state: $state"
  fi
fi

say "ready: $("$docker_cli" -H "unix://$sock" version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}, driver '"$("$docker_cli" -H "unix://$sock" info --format '{{.Driver}}')")" \
    "in $(( $(date +%s) - started )) s"
