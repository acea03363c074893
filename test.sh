#!/usr/bin/env bash
# Runs Hookline's whole test suite. Extra arguments go to `dotnet test` (e.g. --filter FullyQualifiedName~Webhooks).
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "test.sh: the .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH." >&2; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test Hookline.slnx --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One plain closing line, whatever the runner printed: "N passed, N failed, N skipped".
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- Failed:/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
  END { print p + 0, f + 0, s + 0 }' "$log")
echo
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then echo "test.sh: no test ran" >&2; exit 1; fi
exit "$status"
