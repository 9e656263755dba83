// The generated option tables: each tool's README (its options) and docs/options.md (the shared
// vocabulary), all from the descriptors in tools/<tool>/src/options.ts. Needs a build.
// `npm run docs:options` writes them; test/option-docs.test.ts fails when one has drifted.
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** [file, expected text] for every generated document. */
export async function optionDocs(root) {
  const { optionTable, vocabularyTable, withGeneratedBlock } = await import(pathToFileURL(join(root, 'libs/command/dist/index.js')).href);
  const specs = [];
  for (const tool of readdirSync(join(root, 'tools')).sort()) {
    const built = join(root, 'tools', tool, 'dist', 'options.js');
    if (existsSync(built)) specs.push((await import(pathToFileURL(built).href)).cli);
  }
  const docs = specs.map((spec) => {
    const file = join(root, 'tools', spec.tool, 'README.md');
    return [file, withGeneratedBlock(readFileSync(file, 'utf8'), 'options', optionTable(spec), file)];
  });
  const vocabularyFile = join(root, 'docs/options.md');
  docs.push([vocabularyFile, withGeneratedBlock(readFileSync(vocabularyFile, 'utf8'), 'vocabulary', vocabularyTable(specs), vocabularyFile)]);
  return docs;
}
