import { defineCli } from '@ozkit/command';
import { commonOptionNames, documentOptionNames, vocabulary, vocabularyOptions } from '@ozkit/config';

/** ppm2png's command line: --help and the README's option table come from this; parseArgs reads it for every run. */
export const cli = defineCli({
  tool: 'ppm2png',
  usage: '$0 [IN] [-o OUT.png]',
  preformatted: `       $0 --dir DIR [-o OUTDIR]
       … | $0 [--in DOC] [--out DOC]

Convert netpbm images (PPM/PGM/PBM, P1–P6, any maxval 1..65535) to PNG with the
same pixels netpbm's pnmtopng writes: a palette when there are few colors,
grayscale for gray images, 16-bit samples (with an sBIT chunk) above maxval 255.

Input is IN or stdin; its first bytes tell a netpbm image from a build document.
* An image: the PNG goes to -o OUT.png, else to stdout. A file holding several
  images gives OUT.png, OUT-1.png, OUT-2.png…; stdout gets only the first (a
  warning says how many were left out).
* --dir DIR: every .ppm/.pgm/.pbm/.pnm directly in DIR becomes a .png of the
  same name beside it (or in -o OUTDIR), each reported on stderr. A damaged
  file is reported, the others are still converted, and the exit status is 65.
* A build document: the netpbm files listed under failure.screenshots (relative
  to its workdir) become PNGs beside them; the document is printed (stdout or
  --out) with each PNG path added after its source, exit 0 (a screenshot that
  cannot be converted: exit 66/65, and --out FILE becomes FILE.failed.json).
PNGs are written under a temporary name and renamed when complete, so an error
leaves no partial file. A bad image exits 65 with one line saying what is wrong.`,
  positional: { name: 'IN', describe: 'netpbm file (or build document) to read; default stdin' },
  options: {
    output: { ...vocabulary.output, value: 'OUT', describe: 'PNG to write (multi-image: OUT-1.png…); with --dir, the output folder; "-" for stdout' },
    dir: { kind: 'string', value: 'DIR', describe: 'convert every .ppm/.pgm/.pbm/.pnm in this folder' },
    'remove-source': { kind: 'boolean', describe: 'delete each netpbm file once its PNG is written (not with stdin)' },
    compression: { kind: 'string', value: 'LEVEL', describe: 'zlib level 0 (none) to 9 (smallest); default 6 for palette/1–4-bit PNGs, 4 for 8/16-bit' },
    ...vocabularyOptions(commonOptionNames, documentOptionNames),
  },
  examples: [
    ['$0 shot.ppm -o shot.png', 'one screenshot'],
    ['$0 < shot.ppm > shot.png', 'as a filter'],
    ['$0 --dir ~/.oz/screenshots', 'every screenshot in a folder, PNG beside each'],
    ['guest-install < doc.json | $0 > doc2.json', "the failed stage's screenshots, as PNG paths in the document"],
  ],
});
