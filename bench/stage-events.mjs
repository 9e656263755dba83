// The NDJSON events a stage writes to stderr (libs/log), for the benches that time stages by them.
// Lines that are not JSON (a stage's plain messages) are skipped.
export function stageEvents(stderr) {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    })
    .filter(Boolean);
}
