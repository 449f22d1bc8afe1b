#!/usr/bin/env bash
# Runs every test of HaPortal. Run as root on a fresh Debian/Ubuntu machine, it first installs and starts
# what the tests need (HAProxy, MariaDB, keepalived, Chromium); as a normal user it runs with what is there,
# and tests whose prerequisite is missing are skipped with the reason (or fail, when CI is set).
#   scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Rendering]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(haproxy mariadb-server mariadb-client keepalived chromium fonts-dejavu-core docker-compose)

install_prerequisites() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "==> installing ${missing[*]}"
    apt-get update -qq
    # The packages' own services are not wanted: tests start their own servers on free loopback ports.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

if [ "$(id -u)" = 0 ]; then
  install_prerequisites
  # The deploy tests need a Docker engine and the stack's role images, built locally (no registry here).
  scripts/start-docker.sh
  scripts/build-images.sh
else
  echo "==> not root: using what is installed (missing prerequisites skip, or fail when CI is set)"
fi

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (https://dot.net)"; exit 1; }

echo "==> building"
dotnet build HaPortal.sln -c Debug -nologo -clp:ErrorsOnly

echo "==> testing"
log=$(mktemp)
set +e
dotnet test HaPortal.sln -c Debug --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One plain summary line for CI: "N passed, N failed, N skipped".
summary=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+' "$log" | tail -1 || true)
if [ -n "$summary" ]; then
  passed=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")
  failed=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")
  skipped=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
fi
rm -f "$log"
exit "$status"
