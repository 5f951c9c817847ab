import { randomBytes } from 'node:crypto';
import { copyFile, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, UsageError } from '../errors.js';
import { escapeRegExp, refusedWithin, removeStaleTemps, syncPath, syncTree } from '../fs/durable.js';
import { fileSystemReason } from '../fs/fs-error.js';
import { realPathAsFar } from '../fs/real-path.js';
import { resolveInside } from '../spec/paths.js';
import { displayPath } from '../spec/yaml-file.js';
import { CARD_FILE, MODEL_FILE, type ModelCard } from './card.js';

/** The card as written: two-space JSON with a final newline (stable bytes for the same card). */
export function serializeCard(card: ModelCard): string {
  return JSON.stringify(card, null, 2) + '\n';
}

const PACKAGE_FILES = new Set([CARD_FILE, MODEL_FILE]);

/**
 * Why writing a package at `dest` would lose something, or undefined when it may: `dest` is absent, an
 * empty directory, or a package written before (a directory holding slipway.json with a package card,
 * and nothing but slipway.json and model.onnx). A file, a symbolic link or any other directory is
 * never replaced.
 */
export async function replaceProblem(dest: string, retries = 20): Promise<string | undefined> {
  const st = await lstat(dest).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (!st) return undefined;
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is an existing file, not a package directory';
  // another writer's package may be swapped in (the earlier one renamed aside) while this looks: look again
  const vanished = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';
  let entries: string[];
  try {
    entries = (await readdir(dest)).sort();
  } catch (e) {
    if (vanished(e)) return retries > 0 ? replaceProblem(dest, retries - 1) : undefined;
    throw e;
  }
  if (entries.length === 0) return undefined;
  const unexpected = entries.filter((e) => !PACKAGE_FILES.has(e));
  const listed = (names: string[]) => names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
  if (unexpected.length) return `the directory holds ${listed(unexpected)}, which a package does not (a package is ${MODEL_FILE} + ${CARD_FILE} only)`;
  if (!entries.includes(CARD_FILE)) return `the directory holds ${MODEL_FILE} but no ${CARD_FILE}: it is not a package written by slipway train`;
  let text: string;
  try {
    text = await readFile(join(dest, CARD_FILE), 'utf8');
  } catch (e) {
    if (vanished(e)) return retries > 0 ? replaceProblem(dest, retries - 1) : undefined;
    text = '';
  }
  let card: unknown;
  try {
    card = JSON.parse(text);
  } catch {
    card = undefined;
  }
  const c = card as Partial<ModelCard> | undefined;
  if (!c || typeof c !== 'object' || c.schema_version !== 1 || typeof c.name !== 'string' || typeof c.version !== 'string') {
    return `its ${CARD_FILE} is not a package card (schema_version 1, name, version): it is not a package written by slipway train`;
  }
  return undefined;
}

/** Throws a UsageError (exit 2) naming `dest` when writing a package there would lose something; see replaceProblem. */
export async function assertReplaceable(dest: string, label = 'the package directory', cwd?: string): Promise<void> {
  const problem = await replaceProblem(dest);
  if (problem) {
    throw new UsageError(`${label} ${displayPath(dest, cwd)}: refusing to write the package there: ${problem}; name a new or empty directory, or one an earlier 'slipway train --out' wrote`);
  }
}

/**
 * Checks `slipway train --out <dir>` before training starts: never inside the repository's models/ tree
 * (each model's sources: model.yaml, schema, data), never inside a local store (content-addressed: an
 * object replaced there no longer matches its digest), and only where replaceProblem allows.
 */
export async function assertOutDir(dest: string, opts: { repoRoot: string; storeUri?: string; cwd?: string }): Promise<void> {
  const label = '--out';
  const shown = displayPath(dest, opts.cwd);
  const real = realPathAsFar(dest);
  const models = realPathAsFar(join(opts.repoRoot, 'models'));
  if (resolveInside(models, models, real) !== null) {
    throw new UsageError(`${label} ${shown}: refusing to write the package there: it is inside the repository's models/ directory, which holds each model's sources (model.yaml, schema, data); name a directory outside models/, e.g. --out dist/<model>`);
  }
  if (opts.storeUri?.startsWith('file:')) {
    const store = realPathAsFar(fileURLToPath(opts.storeUri));
    if (resolveInside(store, store, real) !== null) throw new UsageError(`${label} ${shown}: refusing to write the package there: it is inside the model store ${displayPath(store, opts.cwd)}, whose objects are named by their digest`);
  }
  await assertReplaceable(dest, label, opts.cwd);
}

/**
 * Writes a package directory (model.onnx + slipway.json) atomically and durably: into a temporary sibling,
 * flushed to the disk, then renamed into place, replacing an earlier package at `dir`. Refuses (UsageError,
 * nothing touched) to replace anything else: see replaceProblem. The siblings a killed write left
 * (`.<name>.tmp-<hex>`, `.<name>.old-<hex>`) are removed once an hour untouched.
 */
export async function writePackage(dir: string, model: { bytes: Uint8Array } | { path: string }, card: ModelCard, label?: string): Promise<string> {
  const dest = resolve(dir);
  await assertReplaceable(dest, label);
  await mkdir(dirname(dest), { recursive: true });
  await removeStaleTemps(dirname(dest), new RegExp(`^\\.${escapeRegExp(basename(dest))}\\.(tmp|old)-[0-9a-f]{12}$`));
  const tmp = join(dirname(dest), `.${basename(dest)}.tmp-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(tmp);
    if ('bytes' in model) await writeFile(join(tmp, MODEL_FILE), model.bytes);
    else await copyFile(model.path, join(tmp, MODEL_FILE));
    await writeFile(join(tmp, CARD_FILE), serializeCard(card));
    await syncTree(tmp);
    // checked again just before the old one goes: the directory may have changed while the package was built
    await assertReplaceable(dest, label);
    await swapIn(tmp, dest);
    await syncPath(dirname(dest));
  } catch (e) {
    // a full or read-only disk, or no permission beside the package: said of the package, not of the temporary
    if (!refusedWithin(e, tmp) || !fileSystemReason(e)) throw e;
    throw new InputError(`cannot write the package ${displayPath(dest)}: ${fileSystemReason(e)}; nothing there was replaced`, { cause: e });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dest;
}

/**
 * Renames the finished package to `dest`, the earlier one first renamed aside (and removed only after): `dest`
 * is never without a whole package for longer than between two renames, and a failure leaves the earlier one.
 * Another writer's package landing in between is set aside the same way (the last one wins; none fails).
 */
async function swapIn(tmp: string, dest: string): Promise<void> {
  const aside = join(dirname(dest), `.${basename(dest)}.old-${randomBytes(6).toString('hex')}`);
  let moved = false;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await rename(dest, aside);
        moved = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      try {
        await rename(tmp, dest);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 20) {
          if (moved) await rename(aside, dest).catch(() => undefined);
          moved = false;
          throw e;
        }
        await rm(aside, { recursive: true, force: true });
        moved = false;
      }
    }
  } finally {
    if (moved) await rm(aside, { recursive: true, force: true });
  }
}
