import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Logger, PhaseClock } from '@ozkit/log';
import { ConsoleMarkers } from './install-markers.js';

describe('install phases from the console', () => {
  it('moves boot-to-answer → packages → boot-loader → power-off on the markers and the boot-loader line', () => {
    const s = new PassThrough();
    let text = '';
    s.on('data', (c) => (text += c));
    const logger = new Logger({ tool: 'guest-install', format: 'json', stream: s });
    const phases = new PhaseClock(logger);
    phases.enter('boot-to-answer');
    const markers = new ConsoleMarkers({ marker: 'OZKIT-DONE 1', loadedMarker: 'OZKIT-PRESEED-LOADED 1' }, logger, () => 1, phases);
    // Before the answer file is read a boot-loader line (e.g. isolinux's banner) moves nothing.
    markers.read('ISOLINUX 6.04 installing grub? no');
    expect(phases.phase).toBe('boot-to-answer');
    markers.read('OZKIT-PRESEED-LOADED 1');
    expect(phases.phase).toBe('packages');
    markers.read('ozkit-installer: installing packages');
    expect(phases.phase).toBe('packages');
    markers.read('ozkit-installer: installing GRUB');
    expect(phases.phase).toBe('boot-loader');
    markers.read('OZKIT-DONE 1');
    expect(phases.phase).toBe('power-off');
    phases.end();
    const ends = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.event === 'phase-end')
      .map((e) => e.phase);
    expect(ends).toEqual(['boot-to-answer', 'packages', 'boot-loader', 'power-off']);
  });
});
