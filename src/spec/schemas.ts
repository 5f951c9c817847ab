import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The JSON Schemas shipped in schemas/ (found from src/ and from dist/ alike). */
const here = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_DIR = join(here, '..', '..', 'schemas');

function load(name: string): object {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8')) as object;
}

export const modelSchema = load('model.schema.json');
export const environmentSchema = load('environment.schema.json');
export const contractSchema = load('contract.schema.json');
