#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine: system packages, npm dependencies, build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/system-packages.sh
if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "setup: Node.js >= 20.19 is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 69
fi
ozkit_ensure_packages
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build >&2
