import type { Logger } from './logger.js';

/**
 * Where a stage's time goes: NDJSON `phase-start` and `phase-end` events (the latter with
 * `seconds` and `ok`) through the stage's logger, one phase at a time; text mode shows nothing.
 * `npm run bench -- build` makes its phase table from them.
 */
export class PhaseClock {
  private current: { name: string; started: number } | undefined;

  constructor(private readonly logger: Logger) {}

  /** The phase running now, if any. */
  get phase(): string | undefined {
    return this.current?.name;
  }

  /** Ends the running phase (if any, as succeeded) and starts `name`; entering the running phase again does nothing. */
  enter(name: string): void {
    if (this.current?.name === name) return;
    this.end(true);
    this.current = { name, started: Date.now() };
    this.logger.event('phase-start', { phase: name });
  }

  /** Ends the running phase. */
  end(ok = true): void {
    const running = this.current;
    if (!running) return;
    this.current = undefined;
    this.logger.event('phase-end', { phase: running.name, seconds: Math.round((Date.now() - running.started) / 100) / 10, ok });
  }

  /** Runs `body` as the phase `name`; a throw ends it with `ok: false`. */
  async run<T>(name: string, body: () => Promise<T>): Promise<T> {
    this.enter(name);
    try {
      const result = await body();
      if (this.current?.name === name) this.end(true);
      return result;
    } catch (error) {
      if (this.current?.name === name) this.end(false);
      throw error;
    }
  }
}
