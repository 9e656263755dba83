/** Keeps the last `limit` complete lines of a byte stream (plus the unfinished one), for error messages. */
export class OutputTail {
  private lines: string[] = [];
  private partial = '';

  constructor(private readonly limit = 20) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line.replace(/\r$/, ''));
      if (this.lines.length > this.limit) this.lines.shift();
    }
    // An endless line without newline must not grow without bound.
    if (this.partial.length > 64 * 1024) this.partial = this.partial.slice(-64 * 1024);
  }

  tail(): string[] {
    const all = this.partial === '' ? this.lines : [...this.lines, this.partial];
    return all.slice(-this.limit);
  }
}
