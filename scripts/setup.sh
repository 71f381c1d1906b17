#!/usr/bin/env bash
# Installs everything the service and its tests need on a Debian machine with Node 20.
# Idempotent and fast when nothing changed (a stamp records what was installed).
#   --with-browser   also install Debian's Chromium for the browser tests
#   --quiet          print only what it does, not what it skips
set -euo pipefail
cd "$(dirname "$0")/.."

with_browser=0
quiet=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) with_browser=1 ;;
    --quiet) quiet=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done
say() { echo "[setup] $*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "[setup] Node >= 20 is required (found $(node -v))." >&2
  exit 1
fi

# --- system packages (Debian) --------------------------------------------------------------
apt_needed=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in libfaiss-dev libopenblas-dev g++ make python3 redis-server; do
  have_pkg "$pkg" || apt_needed+=("$pkg")
done
if [ "$with_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  apt_needed+=(chromium)
fi
if [ "${#apt_needed[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${apt_needed[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_needed[@]}" >/dev/null
  else
    cat >&2 <<MSG
[setup] These Debian packages are missing: ${apt_needed[*]}
[setup] Not running as root, so they cannot be installed here. Run as root:
[setup]   apt-get update && apt-get install -y ${apt_needed[*]}
MSG
    # Chromium is only needed by the browser tests, which skip without it.
    for pkg in "${apt_needed[@]}"; do [ "$pkg" = chromium ] || exit 1; done
  fi
fi

# --- npm dependencies ----------------------------------------------------------------------
# Install scripts are disabled: onnxruntime-node's downloads CUDA binaries and faiss-node's downloads a prebuild
# or clones faiss, and both fail offline. The packages that need a native step are built below.
# `npm ci`: installs exactly the lockfile and never rewrites it, so a clone stays clean. The lockfile holds every
# platform's optional packages (regenerate it with `npm install --package-lock-only`, which keeps them).
fingerprint() { cat "$@" 2>/dev/null | sha1sum | cut -c1-40; }
deps_stamp=node_modules/.bdi-deps-stamp
# Only what decides the installed packages counts (editing an npm script must not trigger a rebuild).
deps_print="$(node -v) $(node -p 'const p = require("./package.json"); JSON.stringify([p.dependencies, p.devDependencies])' | sha1sum | cut -c1-40) $(fingerprint package-lock.json patches/*)"
if [ -f "$deps_stamp" ] && [ "$(cat "$deps_stamp")" = "$deps_print" ] && [ -f node_modules/faiss-node/build/Release/faiss-node.node ]; then
  [ "$quiet" = 1 ] || say "npm dependencies up to date"
else
  say "installing npm dependencies"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  say "building better-sqlite3 (compiles offline when no prebuild can be fetched)"
  npm rebuild better-sqlite3 --loglevel=error
  say "applying reviewed patches (patches/*.patch)"
  npx --no-install patch-package --error-on-fail >/dev/null
  say "building faiss-node against Debian's libfaiss"
  npm run --silent build:faiss >/dev/null
  echo "$deps_print" > "$deps_stamp"
fi

native_stamp=node_modules/.bdi-native-stamp
native_print="$(node -v) $(fingerprint native/binding.gyp native/src/*)"
if [ -f "$native_stamp" ] && [ "$(cat "$native_stamp")" = "$native_print" ] && [ -f native/build/Release/bdi_native.node ]; then
  [ "$quiet" = 1 ] || say "native addon up to date"
else
  say "building the project's native addon (native/)"
  npm run --silent build:native >/dev/null
  echo "$native_print" > "$native_stamp"
fi
