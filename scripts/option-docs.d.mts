/** [file, expected text] for every generated option table (tool READMEs, docs/options.md). */
export function optionDocs(root: string): Promise<[string, string][]>;
