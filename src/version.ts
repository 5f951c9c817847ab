import { readFileSync } from 'node:fs';

/** Slipway's version, from package.json (one level up from both src/ and dist/): one source for --version, the server header, reports and lineage. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
