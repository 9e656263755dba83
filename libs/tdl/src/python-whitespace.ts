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

export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPythonSpace(text.charCodeAt(start))) start++;
  while (end > start && isPythonSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}
