#!/usr/bin/env bash
# Compiles the TypeScript sources when dist/ is missing or older than any source, and generates the
# built-in backbone model when it is missing (deterministic, no download).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f dist/.build-stamp ] || [ -n "$(find src bench scripts tsconfig.json tsconfig.build.json package.json -newer dist/.build-stamp -type f -print -quit 2>/dev/null)" ]; then
  echo "[build] compiling TypeScript" >&2  # stderr: `npm run -s bench` stdout stays pure JSON
  npx --no-install tsc -p tsconfig.build.json
  touch dist/.build-stamp
fi
if [ -f dist/scripts/generate-default-backbone.js ]; then
  node dist/scripts/generate-default-backbone.js --if-missing
fi
