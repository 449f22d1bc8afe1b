#!/usr/bin/env bash
# Builds the stack's role images (haproxy, mariadb, keepalived, web) from compose/images/<role>.
# With no registry reachable, first creates the base image debian:bookworm-slim with debootstrap
# from the Debian mirror apt already uses. Skips what is up to date: the base when present, a role
# image whose label haportal.inputs equals the hash of its inputs (Dockerfile, context and, for
# web, the sources of the published Portal).
#
# Usage: scripts/build-images.sh [role ...]          (default: all roles)
# Env:   HAPORTAL_IMAGE_PREFIX (haportal), HAPORTAL_IMAGE_TAG (dev) → images <prefix>/<role>:<tag>
#        HAPORTAL_BASE_IMAGE (debian:bookworm-slim), HAPORTAL_DEBIAN_MIRROR (read from apt's sources)
#        DOCKER (/usr/bin/docker: Debian's client, API 1.41, whatever else is on PATH)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=${HAPORTAL_IMAGE_PREFIX:-haportal}
tag=${HAPORTAL_IMAGE_TAG:-dev}
base=${HAPORTAL_BASE_IMAGE:-debian:bookworm-slim}
docker_cli=${DOCKER:-/usr/bin/docker}
[ -x "$docker_cli" ] || docker_cli=$(command -v docker)
roles=("$@")
[ ${#roles[@]} -gt 0 ] || roles=(haproxy mariadb keepalived web)

say() { echo "build-images: $*"; }
now() { date +%s; }
dk() { "$docker_cli" "$@"; }

# The first Debian (not security) mirror apt is configured with: deb822 .sources files, then sources.list.
apt_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '
      /^[[:space:]]*$/ { if (uri != "" && suites ~ /(^| )bookworm( |$)/) { print uri; exit } uri=""; suites=""; next }
      /^URIs:/   { uri=$2 }
      /^Suites:/ { $1=""; suites=$0" " }
      END        { if (uri != "" && suites ~ /(^| )bookworm( |$)/) print uri }' "$f" | head -n1)
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i !~ /^\[/ && $i ~ /:\/\//) { if ($(i+1)=="bookworm") { print $i; exit } } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  echo "http://deb.debian.org/debian"
}

ensure_base() {
  if dk image inspect "$base" >/dev/null 2>&1; then
    say "base $base present, skipping debootstrap"
    return
  fi
  local mirror=${HAPORTAL_DEBIAN_MIRROR:-$(apt_mirror)} rootfs t0
  command -v debootstrap >/dev/null || { echo "debootstrap is missing: run scripts/start-docker.sh" >&2; exit 1; }
  rootfs=$(mktemp -d /var/tmp/haportal-rootfs.XXXXXX)
  # mktemp makes the directory 0700, and tar carries that to the image's / : non-root users could use nothing.
  chmod 0755 "$rootfs"
  trap 'rm -rf "$rootfs"' RETURN
  t0=$(now)
  say "creating $base with debootstrap from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$rootfs.log" 2>&1 \
    || { tail -n 30 "$rootfs.log" >&2; exit 1; }
  rm -f "$rootfs.log"
  # debootstrap leaves sources.list pointing at $mirror (bookworm main): the images install from it.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | dk import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$base" >/dev/null
  say "base $base created in $(( $(now) - t0 )) s"
}

# Hash of everything that goes into a role image; for web also the Portal sources it is published from.
inputs_hash() {
  local role=$1
  {
    echo "base $(dk image inspect --format '{{.Id}}' "$base")"
    # This script too: how an image is built (the web node's publish options) is part of what it is.
    sha256sum "$repo/scripts/build-images.sh"
    (cd "$repo/compose/images/$role" && find . -type f ! -path './portal/*' -print0 | sort -z | xargs -0 sha256sum)
    if [ "$role" = web ]; then
      (cd "$repo" && find Portal Portal.Core -type f ! -path '*/bin/*' ! -path '*/obj/*' -print0 \
        | sort -z | xargs -0 sha256sum
       for f in Directory.Build.props Directory.Packages.props global.json NuGet.config nuget.config; do
         if [ -f "$f" ]; then sha256sum "$f"; fi
       done)
    fi
  } | sha256sum | cut -d' ' -f1
}

# The SDK keeps precompiled assemblies in one obj/…/R2R folder whatever the composite switch, and reuses them when they
# are newer than their sources: a plain ReadyToRun publish after the web image's would ship composite stubs without
# their composite image (the process aborts at start). Emptied before and after, neither kind finds the other's there.
clear_r2r() { rm -rf "$repo"/Portal/obj/Release/*/linux-x64/R2R; }

build_role() {
  local role=$1 image="$prefix/$1:$tag" hash current t0 context
  hash=$(inputs_hash "$role")
  current=$(dk image inspect --format '{{ index .Config.Labels "haportal.inputs" }}' "$image" 2>/dev/null || true)
  if [ "$current" = "$hash" ]; then
    say "$image up to date, skipping"
    return
  fi
  t0=$(now)
  context="$repo/compose/images/$role"
  if [ "$role" = web ]; then
    # The published Portal goes into a scratch context, never into the source tree.
    context=$(mktemp -d /var/tmp/haportal-web.XXXXXX)
    trap 'rm -rf "$context"' RETURN
    cp "$repo/compose/images/web/Dockerfile" "$context/"
    # Composite: the runtime, ASP.NET and the Portal precompiled as one unit, so generic code that crosses their
    # assemblies is precompiled too instead of being compiled by every web node as it boots (ADR 0014).
    say "publishing Portal (Release, linux-x64, self-contained, ReadyToRun composite)"
    clear_r2r
    dotnet publish "$repo/Portal/Portal.csproj" -c Release -r linux-x64 --self-contained \
      -p:UseAppHost=true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true \
      -o "$context/portal" -nologo -v quiet > "$context.publish.log" 2>&1 \
      || { cat "$context.publish.log" >&2; rm -f "$context.publish.log"; clear_r2r; exit 1; }
    rm -f "$context.publish.log"
    clear_r2r
    say "published in $(( $(now) - t0 )) s"
  fi
  local previous
  previous=$(dk image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  dk build -q --label "haportal.inputs=$hash" --label "haportal.role-image=$role" -t "$image" "$context" >/dev/null
  # The image the tag moved away from: with the vfs driver every layer is a full copy, so do not keep it.
  # Refused (and kept) while a container still uses it.
  if [ -n "$previous" ] && [ "$previous" != "$(dk image inspect --format '{{.Id}}' "$image")" ]; then
    dk image rm "$previous" >/dev/null 2>&1 || say "kept previous $image ($previous): still in use"
  fi
  say "built $image in $(( $(now) - t0 )) s"
}

started=$(now)
ensure_base
for role in "${roles[@]}"; do
  [ -f "$repo/compose/images/$role/Dockerfile" ] || { echo "no compose/images/$role/Dockerfile" >&2; exit 2; }
  build_role "$role"
done
say "done in $(( $(now) - started )) s"
