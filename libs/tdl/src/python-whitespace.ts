/**
 * Python's str.strip() with no argument, which Oz applies to file and command contents.
 * It removes more than String.prototype.trim (e.g. U+0085, U+001C–U+001F) and keeps
 * U+FEFF, which trim would drop. A loop, not a `\s+$` regex: that one is quadratic on
 * long runs of spaces, and TDLs may be hostile.
 */
function isPythonSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x1c && code <= 0x20) ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

const SPACE_CLASS = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const FIRST_NON_SPACE = new RegExp(`[^${SPACE_CLASS}]`);

export function pythonStrip(text: string): string {
  // The leading run is found natively (long runs are what hostile input has); the trailing
  // run is walked back from the end, which is linear too.
  const start = text.search(FIRST_NON_SPACE);
  if (start === -1) return '';
  let end = text.length;
  while (end > start && isPythonSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}
