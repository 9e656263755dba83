#!/usr/bin/env bash
# Regenerates data/kickstart-grammar.json from a pykickstart git checkout (facts only: its option
# tables and its parser's answers to probe lines). Usage: regenerate-kickstart-grammar.sh PYKICKSTART_GIT_DIR
# PYKICKSTART_GIT_DIR: a clone or bare git directory of github.com/pykickstart/pykickstart.
set -euo pipefail
git_dir=${1:?usage: $0 PYKICKSTART_GIT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
commit=$(git --git-dir="$git_dir" rev-parse HEAD 2>/dev/null || git -C "$git_dir" rev-parse HEAD)
(git --git-dir="$git_dir" archive "$commit" 2>/dev/null || git -C "$git_dir" archive "$commit") | tar -x -C "$tree"
PYTHONPATH="$tree" python3 "$here/extract-kickstart-grammar.py" --tree "$tree" --commit "$commit" > "$here/../data/kickstart-grammar.json.tmp"
mv "$here/../data/kickstart-grammar.json.tmp" "$here/../data/kickstart-grammar.json"
echo "kickstart-grammar.json: pykickstart $commit"
