#!/usr/bin/env bash
# Milliseconds from Save to the rule being present in runtime_mysql_query_rules, median and p95.
# Runs against the ProxySQL admin TEST DOUBLE (Portal.Tests/ProxySql/ProxySqlAdminDouble.cs): no real ProxySQL here,
# so the figure measures the portal's side (MySqlConnector, transaction, LOAD/SAVE, confirm) over loopback, not ProxySQL.
# Usage: scripts/bench-proxysql.sh [SAVES]   (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
saves="${1:-50}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
HAPORTAL_BENCH_SAVES="$saves" HAPORTAL_BENCH_OUT="$out" \
  dotnet test Portal.Tests --filter "FullyQualifiedName~ProxySqlSaveBenchmarkTests" --nologo -v quiet >/dev/null
cat "$out"
