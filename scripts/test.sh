#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, lint (eslint + prettier --check) and the type check,
# then every test (unit and VM), then one summary line. A lint or type error fails the run, but the
# tests still run so that one report shows everything.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
mkdir -p build
checks=0
npm run --silent lint || checks=$?
npm run --silent typecheck || checks=$?
npx vitest run --reporter=default --reporter=json --outputFile.json=build/test-results.json "$@"
status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("build/test-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
[ "$status" -ne 0 ] && exit "$status"
[ "$checks" -ne 0 ] && echo "lint or typecheck failed (see above)" && exit "$checks"
exit 0
