#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, then every test (unit and VM), then one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit $?
mkdir -p build
npx vitest run --reporter=default --reporter=json --outputFile.json=build/test-results.json "$@"
status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("build/test-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
