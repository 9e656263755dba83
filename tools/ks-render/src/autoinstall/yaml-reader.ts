import { spawnSync } from 'node:child_process';
import { OzkitError } from '@ozkit/errors';

/**
 * Reads a user's YAML (autoinstall user-data) with PyYAML's safe loader: there is no YAML parser
 * among ozkit's Node dependencies, and subiquity itself reads user-data with PyYAML, so this is
 * also the most faithful check. Returns the data as JSON values, or the loader's complaint with
 * its line and column.
 */

const LOADER = String.raw`
import sys, json
try:
    import yaml
except ImportError:
    print(json.dumps({"missing": True})); sys.exit(0)
text = sys.stdin.read()
sys.setrecursionlimit(20000)
# Aliases are shared in Python but expand in JSON: count the values they stand for first, so an
# alias bomb ("billion laughs") is refused instead of filling memory.
LIMIT = 1000000
def expanded(nodes):
    sizes = {}
    def size(node):
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1
        n = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                n += size(k) + size(v)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                n += size(item)
        sizes[key] = n = min(n, LIMIT + 1)
        return n
    return sum(size(n) for n in nodes if n is not None)
try:
    if expanded(list(yaml.compose_all(text, Loader=yaml.SafeLoader))) > LIMIT:
        print(json.dumps({"error": "its aliases expand to more than %d values (an alias bomb?)" % LIMIT, "line": None, "column": None})); sys.exit(0)
    docs = list(yaml.safe_load_all(text))
except RecursionError:
    print(json.dumps({"error": "nested too deeply", "line": None, "column": None})); sys.exit(0)
except yaml.YAMLError as e:
    mark = getattr(e, "problem_mark", None)
    print(json.dumps({"error": str(getattr(e, "problem", None) or e), "line": mark.line + 1 if mark else None, "column": mark.column + 1 if mark else None}))
    sys.exit(0)
# Where every value starts (JSON pointer -> [line, column], 1-based), so schema errors can be located.
marks = {}
def walk(node, path):
    marks[path or "/"] = [node.start_mark.line + 1, node.start_mark.column + 1]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = str(key.value).replace("~", "~0").replace("/", "~1")
            marks[path + "/" + k + "#key"] = [key.start_mark.line + 1, key.start_mark.column + 1]
            walk(value, path + "/" + k)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            walk(item, path + "/" + str(i))
if sys.argv[1:] == ["--marks"]:
    nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    if len(nodes) == 1 and nodes[0] is not None:
        walk(nodes[0], "")
print(json.dumps({"docs": docs, "marks": marks}, default=str))
`;

export interface YamlReadResult {
  docs?: unknown[];
  /** JSON pointer of a value (or `pointer#key` for a mapping key) → where it starts, 1-based. */
  marks?: Record<string, [number, number]>;
  error?: { message: string; line?: number; column?: number };
}

/** `withMarks`: also where every value starts (a second pass; only needed to locate problems). */
export function readYaml(text: string, file: string, withMarks = false): YamlReadResult {
  const result = spawnSync('python3', ['-c', LOADER, ...(withMarks ? ['--marks'] : [])], {
    input: text,
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  // Killed by the time or output cap: the YAML is what is wrong (bad data), not python3.
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT' || code === 'ENOBUFS' || result.signal)
    return { error: { message: code === 'ENOBUFS' ? 'its data is larger than 64 MiB once read' : 'reading it took longer than 30 s' } };
  if (result.error || result.status !== 0) {
    throw new OzkitError('PROGRAM_MISSING', `${file}: cannot check the YAML: python3 did not run (${result.error?.message ?? result.stderr.trim()})`, {
      hint: 'install python3 and python3-yaml (apt-get install python3-yaml)',
    });
  }
  const parsed = JSON.parse(result.stdout) as {
    missing?: boolean;
    docs?: unknown[];
    marks?: Record<string, [number, number]>;
    error?: string;
    line?: number;
    column?: number;
  };
  if (parsed.missing)
    throw new OzkitError('PROGRAM_MISSING', `${file}: cannot check the YAML: python3 has no yaml module`, { hint: 'apt-get install python3-yaml' });
  if (parsed.error !== undefined)
    return { error: { message: parsed.error, ...(parsed.line ? { line: parsed.line } : {}), ...(parsed.column ? { column: parsed.column } : {}) } };
  return { docs: parsed.docs, marks: parsed.marks ?? {} };
}
