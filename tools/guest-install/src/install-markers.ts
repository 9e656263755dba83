import type { Logger, PhaseClock } from '@ozkit/log';

/**
 * A marker counts when a line ends with it (what `echo MARKER > /dev/ttyS0` gives, even after
 * interleaved kernel output), not when an installer merely logs the command that would print it.
 */
export function endsWithMarker(line: string, marker: string): boolean {
  return line.trimEnd().endsWith(marker.trim());
}

/** The failure marker is followed by a reason; it must start a word (not follow a quote, as in a logged `echo '…'`). */
export function beginsWithMarker(line: string, marker: string): boolean {
  const at = line.indexOf(marker.trim());
  return at === 0 || (at > 0 && /[\s\]>]/.test(line[at - 1]));
}

export interface MarkerTexts {
  /** The completion marker the answer file writes to the serial console. */
  marker: string;
  /** A line the answer file writes when its own steps failed (answer.failedMarker). */
  failedMarker?: string;
  /** A line the installer writes once it has read the answer file (answer.loadedMarker). */
  loadedMarker?: string;
}

/**
 * The installers' own words for their boot-loader step (the test installer's "installing GRUB",
 * d-i's "Installing GRUB boot loader", Anaconda's "Installing boot loader"): where the phase
 * table's package installation ends.
 */
const BOOT_LOADER_LINE = /\binstall(?:ing)?\s+(?:the\s+)?(?:grub|boot\s*loader)/i;

/** What the answer file's markers on the console said so far. */
export class ConsoleMarkers {
  markerSeen = false;
  /** The failure marker's line, with its reason. */
  failedLine: string | undefined;

  constructor(
    private readonly texts: MarkerTexts,
    private readonly logger: Logger,
    private readonly elapsed: () => number,
    /** Install phases from the console: boot-to-answer → packages → boot-loader → power-off. */
    private readonly phases?: PhaseClock,
  ) {}

  /** Feeds one console line. */
  read(line: string): void {
    const { marker, failedMarker, loadedMarker } = this.texts;
    if (endsWithMarker(line, marker)) {
      this.markerSeen = true;
      this.phases?.enter('power-off');
    }
    if (!this.markerSeen && this.phases?.phase === 'packages' && BOOT_LOADER_LINE.test(line)) this.phases.enter('boot-loader');
    if (failedMarker && !this.failedLine && beginsWithMarker(line, failedMarker)) this.failedLine = line;
    if (loadedMarker && endsWithMarker(line, loadedMarker)) {
      this.logger.info(`the installer read the answer file (${Math.round(this.elapsed())} s)`);
      this.logger.event('answer-file-loaded', { seconds: Math.round(this.elapsed() * 10) / 10 });
      if (!this.markerSeen) this.phases?.enter('packages');
    }
  }
}
