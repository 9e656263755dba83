import { rmSync } from 'node:fs';
import type { QmpClient } from '@ozkit/qmp';
import { screendumpToPng } from '@ozkit/netpbm';

export interface ScreendumpOptions {
  /** Keep the PPM QEMU wrote beside the PNG. Default false. */
  keepPpm?: boolean;
  signal?: AbortSignal;
}

/** QMP `screendump` (PPM), converted to PNG with @ozkit/netpbm; returns the PNG path. */
export async function screendumpPng(qmp: QmpClient, pngPath: string, options: ScreendumpOptions = {}): Promise<string> {
  const ppmPath = pngPath.replace(/\.png$/i, '') + '.ppm';
  await qmp.execute('screendump', { filename: ppmPath });
  try {
    await screendumpToPng(ppmPath, pngPath, { signal: options.signal });
  } finally {
    if (!options.keepPpm) rmSync(ppmPath, { force: true });
  }
  return pngPath;
}
