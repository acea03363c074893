#!/usr/bin/env bash
# Runs Hookline's whole test suite: everything on SQLite, then the store, API and delivery suites again on a
# private, throwaway PostgreSQL cluster (started here, torn down at exit). Extra arguments go to `dotnet test`.
# `--full` runs the long reliability suites (chaos, crash loop, fuzz) at the full size instead of the CI size.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "test.sh: the .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH." >&2; exit 1; }

# --- a private PostgreSQL: initdb in a temporary folder, a free port on 127.0.0.1, trust auth, gone at exit ---
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN=$(pg_bin)
if [ -z "$PGBIN" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "test.sh: installing Debian's postgresql package for the PostgreSQL tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PGBIN=$(pg_bin)
  fi
  [ -n "$PGBIN" ] || { echo "test.sh: PostgreSQL is needed for the PostgreSQL tests: install it (Debian: sudo apt-get install postgresql)." >&2; exit 1; }
fi
# The README walk-through test (ReadmeWalkthroughTests) runs the README's curl and python3 commands as written; the
# Ed25519 signature tests verify with Node's crypto (node, Debian's nodejs package), code that is not Hookline's.
for need in curl:curl python3:python3 node:nodejs npm:npm; do
  tool=${need%%:*} package=${need#*:}
  if ! command -v "$tool" >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
      echo "test.sh: installing Debian's $package package for the tests"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
    fi
    command -v "$tool" >/dev/null || { echo "test.sh: $tool is needed by the tests: install it (Debian: sudo apt-get install $package)." >&2; exit 1; }
  fi
done
# The portal's browser tests drive Debian's Chromium (never a downloaded browser); without it they are skipped, saying so.
if ! command -v chromium >/dev/null && [ -z "${HOOKLINE_TEST_CHROMIUM:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "test.sh: installing Debian's chromium package for the portal's browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  command -v chromium >/dev/null || { echo "test.sh: chromium is needed for the portal's browser tests: install it (Debian: sudo apt-get install chromium)." >&2; exit 1; }
fi
# The OpenAPI lint test (OpenApiLintTests) runs Redocly's CLI, installed once from npm into a cache folder.
REDOCLY_VERSION=2.77.0
REDOCLY_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/hookline-tools/redocly-$REDOCLY_VERSION"
if [ ! -x "$REDOCLY_DIR/node_modules/.bin/redocly" ]; then
  echo "test.sh: installing @redocly/cli $REDOCLY_VERSION with npm for the OpenAPI lint test"
  npm install --prefix "$REDOCLY_DIR" --no-audit --no-fund --loglevel=error "@redocly/cli@$REDOCLY_VERSION" >/dev/null \
    || { echo "test.sh: npm could not install @redocly/cli (the OpenAPI lint test needs it)." >&2; exit 1; }
fi
export HOOKLINE_TEST_REDOCLY="$REDOCLY_DIR/node_modules/.bin/redocly"
# GeneratedClientTests generates TypeScript clients from the served document, as TypeScript teams do, and runs them.
CLIENTS_PACKAGES="openapi-typescript@7.13.0 openapi-fetch@0.17.0 @hey-api/openapi-ts@0.85.2 typescript@5.9.3"
CLIENTS_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/hookline-tools/clients-$(echo "$CLIENTS_PACKAGES" | md5sum | cut -c1-8)"
if [ ! -x "$CLIENTS_DIR/node_modules/.bin/tsc" ]; then
  echo "test.sh: installing $CLIENTS_PACKAGES with npm for the generated-client test"
  # shellcheck disable=SC2086
  npm install --prefix "$CLIENTS_DIR" --no-audit --no-fund --loglevel=error $CLIENTS_PACKAGES >/dev/null \
    || { echo "test.sh: npm could not install the TypeScript client generators (the generated-client test needs them)." >&2; exit 1; }
fi
export HOOKLINE_TEST_CLIENTS="$CLIENTS_DIR"
# Debian starts a cluster of its own on install; ours is separate, so stop nothing and use a port of our own.
PGTMP=$(mktemp -d /tmp/hookline-pg.XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }  # initdb refuses root
[ "$(id -u)" -eq 0 ] && chown postgres "$PGTMP"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))
cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$PGTMP" "${log:-}"
}
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$PGTMP/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null \
  || { echo "test.sh: initdb failed" >&2; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w start \
  -o "-p $PGPORT -k $PGTMP -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
  || { echo "test.sh: PostgreSQL did not start:" >&2; cat "$PGTMP/server.log" >&2; exit 1; }
export HOOKLINE_TEST_POSTGRES="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=postgres"
echo "test.sh: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT (temporary)"

args=()
for a in "$@"; do if [ "$a" = "--full" ]; then export HOOKLINE_TEST_SIZE=full; else args+=("$a"); fi; done
set -- "${args[@]}"

log=$(mktemp)
status=0
echo "=== all suites on SQLite (and the store suite on both) ==="
dotnet test Hookline.slnx --nologo "$@" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
echo "=== API, delivery, Slack, fuzz, isolation, secrets, MCP, chat delivery and contention suites on PostgreSQL ==="
on_postgres="FullyQualifiedName~Hookline.Tests.Webhooks|FullyQualifiedName~Hookline.Tests.Auth|FullyQualifiedName~Hookline.Tests.Delivery.DeliveryTests|FullyQualifiedName~Hookline.Tests.Delivery.IdleWorkerTests|FullyQualifiedName~Hookline.Tests.Delivery.IngestTests|FullyQualifiedName~Hookline.Tests.Delivery.RetryTests|FullyQualifiedName~Hookline.Tests.Delivery.OperationalEventsTests|FullyQualifiedName~Hookline.Tests.Delivery.DeliveryPolicyTests|FullyQualifiedName~Hookline.Tests.Delivery.FairShareTests|FullyQualifiedName~Hookline.Tests.Delivery.WorkPerDeliveryTests|FullyQualifiedName~Hookline.Tests.Slack.SlackDeliveryTests|FullyQualifiedName~Hookline.Tests.Fuzz|FullyQualifiedName~Hookline.Tests.Security.EndpointIsolationTests|FullyQualifiedName~Hookline.Tests.Secrets|FullyQualifiedName~Hookline.Tests.Mcp|FullyQualifiedName~Hookline.Tests.Chat.ChatDeliveryTests|FullyQualifiedName~Hookline.Tests.Reliability.ContentionTests"
rest=()  # the caller's arguments, with a --filter of theirs folded into ours
while [ $# -gt 0 ]; do
  if [ "$1" = "--filter" ] && [ $# -gt 1 ]; then on_postgres="($2)&($on_postgres)"; shift 2; else rest+=("$1"); shift; fi
done
HOOKLINE_TEST_STORE=postgres dotnet test Hookline.slnx --nologo --no-build --filter "$on_postgres" "${rest[@]}" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# One plain closing line, whatever the runner printed: "N passed, N failed, N skipped".
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- Failed:/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
  END { print p + 0, f + 0, s + 0 }' "$log")
echo
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then echo "test.sh: no test ran" >&2; exit 1; fi
exit "$status"
