import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ozUsageError, type OzOption } from './oz-getopt.js';
import { ozSettings } from './oz-config.js';
import type { OzCommand } from './oz-command.js';

export const ozCleanupCacheOptions: OzOption[] = [
  { short: 'c', long: 'config', value: true, arg: 'config', help: 'config file (default ~/.oz/oz.cfg, then /etc/oz/oz.cfg for root)' },
  { short: 'd', long: 'debug', value: true, arg: 'level', help: 'log level: 0 errors only (default), 1 warnings, 2 information, 3 all, 4 all + stack traces' },
  { short: 'f', long: 'force', help: "don't ask, just remove all cached data" },
  { short: 'h', long: 'help', help: 'print this help' },
];

/** ozkit's cache areas, then the ones Oz itself keeps in the same data_dir. */
export const CACHE_AREAS = ['isos', 'modified', 'jeos', 'customize-downloads', 'floppies', 'floppycontent', 'icicletmp', 'isocontent', 'kernels', 'screenshots'];

/** Asks as Oz does: y goes on, n or an empty answer (or the end of input) stops. */
async function confirmed(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  try {
    for (;;) {
      process.stdout.write(question);
      const answer = await new Promise<string | undefined>((resolve) => {
        rl.once('line', resolve);
        rl.once('close', () => resolve(undefined));
      });
      if (answer === undefined || answer === '' || answer.toLowerCase() === 'n') return false;
      if (answer.toLowerCase() === 'y') return true;
      process.stdout.write("Please enter 'y' or 'n'\n");
    }
  } finally {
    rl.close();
  }
}

export const ozCleanupCache: OzCommand = {
  tool: 'oz-cleanup-cache',
  synopsis: 'oz-cleanup-cache [OPTIONS]',
  options: ozCleanupCacheOptions,
  footer: 'Removes the contents of the cache areas under [paths] data_dir (ozkit: the cache directory); the areas stay.',
  async run(line) {
    if (line.positionals.length > 0) throw ozUsageError('oz-cleanup-cache', `no arguments expected, got ${line.positionals.join(' ')}`);
    const { cacheDir } = ozSettings(line.options.get('config') as string | undefined).config.settings;
    const caches = CACHE_AREAS.map((area) => join(cacheDir, area));
    if (!line.options.has('force') && !(await confirmed(`Going to remove all content from ${caches.join(', ')}; continue? (y/N) `))) return;
    for (const cache of caches) {
      process.stdout.write(`Removing cached content from ${cache}\n`);
      if (!existsSync(cache)) continue;
      for (const entry of readdirSync(cache)) rmSync(join(cache, entry), { recursive: true, force: true });
    }
  },
};
