#!/usr/bin/env python3
"""Writes data/kickstart-grammar.json: the kickstart grammar facts of each release, read from a
pykickstart source tree (PYTHONPATH=TREE). Run by scripts/regenerate-kickstart-grammar.sh; never
edit the JSON by hand. Facts only: the option tables pykickstart builds, and how its parser
answers a few probe lines per command (bare, with an extra word)."""
import argparse
import json
import sys
import warnings

from pykickstart import version as ksversion
from pykickstart.base import DeprecatedCommand, RemovedCommand
from pykickstart.errors import KickstartError, KickstartParseWarning
from pykickstart.parser import KickstartParser
from pykickstart.version import makeVersion, versionMap

RELEASES = ["RHEL7", "RHEL8", "RHEL9", "RHEL10"] + ["F%d" % n for n in range(30, 100) if "F%d" % n in versionMap]


def verdict(release, text):
    """'ok', 'deprecated' or 'error': how pykickstart's parser answers a kickstart text."""
    handler = makeVersion(versionMap[release])
    parser = KickstartParser(handler, followIncludes=False, errorsAreFatal=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=KickstartParseWarning)
        try:
            parser.readKickstartFromString(text)
        except KickstartParseWarning as w:
            return "deprecated" if "deprecat" in type(w).__name__.lower() else "error"
        except (KickstartError, Exception):  # pylint: disable=broad-except
            return "error"
    return "ok"


def option_facts(action):
    kind = {
        "_StoreTrueAction": "flag", "_StoreFalseAction": "flag", "_StoreConstAction": "flag",
        "_AppendConstAction": "flag", "_CountAction": "flag", "ExtendConstAction": "flag",
        "BooleanOptionalAction": "flag",
    }.get(type(action).__name__, "value")
    facts = {"names": list(action.option_strings), "kind": kind}
    if kind == "value" and action.nargs == "?":
        facts["kind"] = "optional-value"
    if kind == "value" and action.nargs not in (None, "?", 1):
        facts["nargs"] = action.nargs
    if type(action).__name__ in ("_AppendAction", "ExtendAction", "_AppendConstAction", "ExtendConstAction"):
        facts["repeatable"] = True
    if action.choices:
        facts["choices"] = sorted(str(c) for c in action.choices)
    if getattr(action, "type", None) is int:
        facts["type"] = "int"
    if action.required:
        facts["required"] = True
    if getattr(action, "deprecated", False):
        facts["deprecated"] = ksversion.versionToString(action.deprecated, skipDevel=True)
    return facts


def positional_facts(action):
    nargs = action.nargs
    lo, hi = {None: (1, 1), "?": (0, 1), "*": (0, None), "+": (1, None)}.get(nargs, (nargs, nargs)) if not isinstance(nargs, int) else (nargs, nargs)
    return {"name": action.metavar or action.dest, "min": lo, "max": hi}


def command_facts(release, name, cmd):
    facts = {}
    if isinstance(cmd, RemovedCommand):
        facts["status"] = "removed"
    elif isinstance(cmd, DeprecatedCommand):
        facts["status"] = "deprecated"
    else:
        facts["status"] = "current"
        parser = cmd._getParser()
        facts["options"] = [option_facts(a) for a in parser._actions if a.option_strings]
        facts["positionals"] = [positional_facts(a) for a in parser._actions if not a.option_strings]
        facts["conflicts"] = sorted(cmd.conflictingCommands)
        facts["data"] = cmd.dataClass is not None and hasattr(cmd, "dataList") and cmd.dataList() is not None
    # Probes: what the parser says to the command followed by 0, 1, 2 and 3 plain words, and to an
    # option nobody defines (accepted: free-form arguments).
    facts["words"] = [verdict(release, " ".join([name] + ["ozkitprobe%d" % i for i in range(n)]) + "\n") for n in range(4)]
    facts["unknownOption"] = verdict(release, name + " --ozkitprobe\n")
    return facts


def section_facts(release):
    handler = makeVersion(versionMap[release])
    parser = KickstartParser(handler)
    out = {}
    for opener, section in sorted(parser._sections.items()):
        entry = {"options": []}
        if hasattr(section, "_getParser"):
            for action in section._getParser()._actions:
                if not action.option_strings:
                    continue
                facts = option_facts(action)
                # Some options only warn when the section reads them (e.g. --instLangs → --inst-langs).
                probe = action.option_strings[0] + ("" if facts["kind"] == "flag" else "=en_US" if not facts.get("type") else "=1")
                if verdict(release, "%s %s\n%%end\n" % (opener, probe)) == "deprecated" and "deprecated" not in facts:
                    facts["deprecated"] = release
                entry["options"].append(facts)
        else:
            entry["freeForm"] = True
        out[opener] = entry
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", required=True)
    ap.add_argument("--commit", help="the pykickstart commit the tree was taken from")
    args = ap.parse_args()
    commit = args.commit
    classes = {}
    releases = {}
    for release in RELEASES:
        handler = makeVersion(versionMap[release])
        table = {}
        for name in sorted(handler.commands):
            cmd = handler.commands[name]
            if cmd is None:
                continue
            facts = command_facts(release, name, cmd)
            key = type(cmd).__name__
            n = 1
            while key in classes and classes[key] != facts:
                n += 1
                key = "%s#%d" % (type(cmd).__name__, n)
            classes[key] = facts
            table[name] = key
        releases[release] = {"commands": table, "sections": section_facts(release)}
    json.dump({"source": {"pykickstart": read_version(args.tree), "commit": commit or None},
               "releases": releases, "grammars": classes}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


def read_version(tree):
    for line in open(tree + "/setup.py"):
        if "version=" in line:
            return line.split("version=")[1].strip().strip(",").strip("'\"")
    return None


if __name__ == "__main__":
    main()
