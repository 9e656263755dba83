#!/usr/bin/env bash
# Regenerates data/autoinstall-schema.json: subiquity's published autoinstall JSON schema
# (autoinstall-schema.json at the top of github.com/canonical/subiquity), wrapped with the commit
# and date it was taken from. Usage: regenerate-autoinstall-schema.sh SUBIQUITY_GIT_DIR
set -euo pipefail
git_dir=${1:?usage: $0 SUBIQUITY_GIT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
g() { git --git-dir="$git_dir" "$@" 2>/dev/null || git -C "$git_dir" "$@"; }
commit=$(g rev-parse HEAD)
date=$(g log -1 --format=%cs "$commit")
g show "$commit:autoinstall-schema.json" |
  python3 -c 'import json,sys; print(json.dumps({"source": {"project": "subiquity", "file": "autoinstall-schema.json", "commit": sys.argv[1], "date": sys.argv[2]}, "schema": json.load(sys.stdin)}, indent=1, sort_keys=True))' "$commit" "$date" \
  > "$here/../data/autoinstall-schema.json.tmp"
mv "$here/../data/autoinstall-schema.json.tmp" "$here/../data/autoinstall-schema.json"
echo "autoinstall-schema.json: subiquity $commit ($date)"
