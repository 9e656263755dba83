#!/usr/bin/env python3
"""Runs pykickstart's own ksvalidator (TREE/tools/ksvalidator.py, its main()) on each case of a JSON
list [{"id", "release", "path"}] read from stdin, in one process; prints {"id": {"verdict", "message"}}.
verdict: ok, error, or deprecated (ksvalidator's "File uses a deprecated option or command")."""
import contextlib
import io
import json
import re
import sys

tree = sys.argv[1]
sys.path[:0] = [tree, tree + "/tools"]
import ksvalidator  # noqa: E402  pylint: disable=wrong-import-position

HEADER = re.compile(r"^The following problem occurred on line \d+ of the kickstart file:$")


def problems(output):
    """The problem texts ksvalidator printed, without its headers."""
    chunks, current = [], []
    for line in output.splitlines():
        line = line.strip()
        if not line or line.startswith("Checking kickstart file") or HEADER.match(line):
            if current:
                chunks.append(" ".join(current))
                current = []
            continue
        current.append(line)
    if current:
        chunks.append(" ".join(current))
    return chunks


out = {}
for case in json.load(sys.stdin):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        rc, messages = ksvalidator.main(["-v", case["release"], case["path"]])
    found = problems(printed.getvalue()) + [m for m in messages if m]
    if rc == 0:
        verdict = "ok"
    elif found and all("deprecat" in p.lower() for p in found):
        verdict = "deprecated"
    else:
        verdict = "error"
    out[case["id"]] = {"verdict": verdict, "message": " | ".join(found)}
json.dump(out, sys.stdout, indent=0, sort_keys=True)
