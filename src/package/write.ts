import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CARD_FILE, MODEL_FILE, type ModelCard } from './card.js';

/** The card as written: two-space JSON with a final newline (stable bytes for the same card). */
export function serializeCard(card: ModelCard): string {
  return JSON.stringify(card, null, 2) + '\n';
}

/**
 * Writes a package directory (model.onnx + slipway.json) atomically: into a temporary sibling,
 * then renamed into place, replacing an earlier package at `dir`.
 */
export async function writePackage(dir: string, model: { bytes: Uint8Array } | { path: string }, card: ModelCard): Promise<string> {
  const dest = resolve(dir);
  await mkdir(dirname(dest), { recursive: true });
  const tmp = join(dirname(dest), `.${basename(dest)}.tmp-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp);
  try {
    if ('bytes' in model) await writeFile(join(tmp, MODEL_FILE), model.bytes);
    else await copyFile(model.path, join(tmp, MODEL_FILE));
    await writeFile(join(tmp, CARD_FILE), serializeCard(card));
    await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dest;
}
