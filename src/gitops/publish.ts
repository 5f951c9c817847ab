import { InputError, IntegrityError } from '../errors.js';
import type { ModelCard } from '../package/card.js';
import { assertPackageOf } from '../package/card.js';
import { readPackage, resolvePackage } from '../package/read.js';
import { verifyModelLoads } from '../package/verify.js';
import { packageDigest } from '../store/digest.js';
import type { ModelStore } from '../store/types.js';

/** A package ready to promote: its verified directory, card and digest. */
export interface Candidate {
  dir: string;
  card: ModelCard;
  digest: string;
  modelPath: string;
}

/**
 * Resolves `--candidate` (a package directory or a `sha256:…` digest in the source store) and checks
 * it can be promoted as `model`: a real package built by `slipway train`, with a semantic version, whose
 * model.onnx ONNX Runtime loads with the inputs and output its card names. The card and the model are
 * read between two digests of the directory, which must agree: a package replaced meanwhile (a 'slipway
 * train --out' into the same directory) is refused, never answered as one package's card with another's digest.
 */
export async function resolveCandidate(ref: string, model: string, opts: { source: ModelStore; repoRoot: string; cwd: string }): Promise<Candidate> {
  const found = await resolvePackage(ref, { store: opts.source, repoRoot: opts.repoRoot, cwd: opts.cwd });
  if (found.synthesized) throw new InputError(`${ref}: a bare model file cannot be promoted; promote a package built by 'slipway train' (model.onnx + slipway.json)`);
  const digest = await packageDigest(found.dir);
  if (found.digest && found.digest !== digest) throw new IntegrityError(`${ref}: the package hashes to ${digest}, not ${found.digest}; refusing to promote it`);
  const pkg = await readPackage(found.dir);
  assertPackageOf(pkg, model, ref);
  await verifyModelLoads(pkg, ref);
  const after = await packageDigest(found.dir);
  if (after !== digest) throw new IntegrityError(`${ref}: the package changed while it was read (${digest} became ${after}); is something writing it? Run the command again once it is written`);
  return { dir: pkg.dir, card: pkg.card, digest, modelPath: pkg.modelPath };
}

/** Publishes the candidate to the environment's store; the stored digest must be the candidate's. */
export async function publish(candidate: Candidate, store: ModelStore): Promise<void> {
  const stored = await store.put(candidate.dir);
  if (stored !== candidate.digest) throw new IntegrityError(`the store ${store.uri} recorded ${stored} for a package that hashes to ${candidate.digest}`);
}

/** The `uri` pinned next to the digest: where serving fetches the package from. */
export function packageUri(location: string, card: Pick<ModelCard, 'name' | 'version'>): string {
  if (/^github-release:\/\//i.test(location)) return `${location.replace(/\/+$/, '')}/${card.name}-${card.version}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return location;
  return location.startsWith('/') ? `file://${location}` : `file://${location.replace(/^\.\//, '')}`;
}
