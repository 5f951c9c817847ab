import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { uriScheme } from '../spec/paths.js';
import { FileStore } from './file-store.js';
import type { ModelStore } from './types.js';

export const DEFAULT_STORE = '.slipway/store';

export type StoreFactory = (uri: string, repoRoot: string) => ModelStore;

/**
 * Every scheme a store location may have. file:// (and plain paths) are built in; the others register a
 * backend when their module is imported (github-release.ts), but config checks need the list without it.
 */
export const STORE_SCHEMES: readonly string[] = ['file', 'github-release'];

/** Other backends (github-release://, …) register here; file:// and plain paths are built in. */
const backends = new Map<string, StoreFactory>();

export function registerStoreBackend(scheme: string, factory: StoreFactory): void {
  if (!STORE_SCHEMES.includes(scheme)) throw new Error(`store scheme '${scheme}' is not listed in STORE_SCHEMES`);
  backends.set(scheme, factory);
}

/** The store location: --store, else SLIPWAY_STORE (its scheme checked here, so that an error names the variable), else `.slipway/store` in the repository. */
export function storeLocation(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  const fromEnv = env.SLIPWAY_STORE;
  if (!fromEnv) return DEFAULT_STORE;
  const scheme = uriScheme(fromEnv);
  if (scheme && !STORE_SCHEMES.includes(scheme)) throw new UsageError(`SLIPWAY_STORE: ${unsupported(fromEnv)}`);
  return fromEnv;
}

const unsupported = (location: string) => `unsupported store '${location}': expected a path or one of ${STORE_SCHEMES.map((s) => s + '://').join(', ')}`;

export function openStore(location: string, repoRoot: string): ModelStore {
  const scheme = uriScheme(location);
  if (!scheme) return new FileStore(isAbsolute(location) ? location : join(repoRoot, location));
  if (scheme === 'file') {
    const rest = location.slice('file://'.length);
    // file://relative/path is relative to the repo; file:///abs is absolute
    return new FileStore(rest.startsWith('/') ? fileURLToPath(location) : join(repoRoot, rest));
  }
  const factory = backends.get(scheme);
  if (!factory) throw new UsageError(unsupported(location));
  return factory(location, repoRoot);
}
