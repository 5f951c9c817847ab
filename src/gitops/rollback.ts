import { InputError } from '../errors.js';
import type { EnvironmentModel } from '../spec/types.js';
import { lastPromotion, rolledBackVersions, type HistoryEvent } from './history.js';
import { editManifest, readManifest, type ManifestEdit } from './manifest.js';
import { rollbackMessage } from './message.js';
import { historyAt, landEdit, manifestPath, type GitOpsResult, type GitOpsTarget } from './promote.js';
import { mergeText } from './repo.js';

export interface RollbackRequest {
  env: string;
  model: string;
  /** roll back to this version (one that was fully promoted in the environment before) */
  to?: string;
  approvers?: string[];
  /** allow rolling back to a version that was itself rolled back */
  force?: boolean;
}

export function rollbackBranch(env: string, model: string, version: string): string {
  return `slipway/rollback/${env}/${model}-${version}`;
}

/** Versions in service for a model entry: the stable one and its canary. */
function inService(e: EnvironmentModel | null | undefined): string[] {
  return e ? [e.version, ...(e.canary ? [e.canary.version] : [])] : [];
}

/**
 * Reverts the last promotion of a model in an environment (or pins an earlier version with `to`).
 * The revert is a three-way merge of the manifest, as `git revert` computes it; when later changes
 * make that conflict, the model's entry is restored as it was before the promotion. The commit names
 * the reverted commit and records the versions it took out (Slipway-Rollback-Of).
 *
 * `to` naming the version the environment already runs (with no canary beside it) changes nothing:
 * the result is `unchanged`, with no commit, no branch and no pull request, as a promote of the
 * version already pinned.
 */
export async function rollbackInEnvironment(target: GitOpsTarget, req: RollbackRequest): Promise<GitOpsResult & { reverted: HistoryEvent | null }> {
  const path = manifestPath(req.env);
  let reverted: HistoryEvent | null = null;
  // what the first attempt set out to revert: a retry (the branch moved) must revert the same promotion
  let intended: HistoryEvent | null = null;
  const result = await landEdit(target, req.env, async (text, head) => {
    const current = readManifest(text, req.env, path).spec.models?.[req.model] ?? null;
    if (!current) throw new InputError(`${req.model} is not pinned in ${path}: nothing to roll back`);
    if (req.to && current.version === req.to && !current.canary) {
      // already live and alone: nothing to do, as a promote of the pinned version (exit 0, no commit, no PR);
      // settled by the manifest alone, before the history is read
      const edit = editManifest(text, req.env, { kind: 'set', model: req.model, entry: current }, path);
      const message = rollbackMessage({ env: req.env, model: req.model, from: current.version, to: current.version, digest: current.digest, rollbackOf: [], reverts: [], approvers: [] });
      return { edit: { ...edit, unchanged: true }, message, prBranch: rollbackBranch(req.env, req.model, current.version) };
    }
    const events = (await historyAt(target.repoRoot, head, target.branch)).filter((e) => e.environment === req.env || e.environment === null);
    let edit: ManifestEdit;
    const extraNotes: string[] = [];
    reverted = null;
    let chain: HistoryEvent[] = [];
    if (req.to) {
      const to = req.to;
      const promo = events.find((e) => e.kind === 'promote' && e.model === req.model && e.to === to && (e.weight === null || e.weight >= 100));
      if (!promo) throw new InputError(`${req.model} ${to} was never fully promoted in ${req.env} (see 'slipway audit --env ${req.env}'); cannot roll back to it`);
      const rb = rolledBackVersions(events, req.model).get(to);
      if (rb && !req.force) throw new InputError(`${req.model} ${to} was itself rolled back by ${rb.sha.slice(0, 7)}; pass --force to roll back to it anyway`);
      const then = await target.writer.read(promo.sha, path);
      const entry = then ? (readManifest(then, req.env, path).spec.models?.[req.model] ?? null) : null;
      if (!entry || entry.version !== to) throw new InputError(`could not read ${req.model} ${to} from ${path} at ${promo.sha.slice(0, 7)}`);
      edit = editManifest(text, req.env, { kind: 'set', model: req.model, entry: { version: entry.version, digest: entry.digest, ...(entry.uri ? { uri: entry.uri } : {}) } }, path);
    } else {
      const promo = lastPromotion(events, req.model, req.env);
      if (!promo) throw new InputError(`no promotion of ${req.model} in ${req.env} to roll back (see 'slipway audit --env ${req.env}')`);
      if (intended && intended.sha !== promo.sha) {
        const says = (e: HistoryEvent) => `${e.from ?? 'none'} -> ${e.to ?? 'none'} (${e.sha.slice(0, 7)})`;
        throw new InputError(
          `${req.env} changed while rolling back: the last promotion of ${req.model} is now ${says(promo)}, not ${says(intended)}; nothing was changed. ` +
            `Run the rollback again if ${promo.to ?? 'none'} is what should be taken out (or --to a version)`,
        );
      }
      intended = promo;
      reverted = promo;
      // a completed canary (or a canary re-weighted) entered with earlier promotions of the same version:
      // the rollback takes the version out, so it reverts back to before the first of them
      chain = [promo];
      for (const e of events.slice(events.indexOf(promo) + 1)) {
        if (e.model !== req.model) continue;
        if (e.kind !== 'promote' || e.to !== promo.to || e.revertedBy) break;
        chain.push(e);
      }
      const first = chain[chain.length - 1];
      const at = await target.writer.read(promo.sha, path);
      const before = first.parent ? await target.writer.read(first.parent, path) : null;
      if (at === null || before === null) throw new InputError(`cannot read ${path} around the promotion ${promo.sha.slice(0, 7)}`);
      edit = await revertEdit(text, at, before, req.env, req.model, path, extraNotes);
    }
    const out = inService(edit.before).filter((v) => !inService(edit.after).includes(v));
    if (!out.length && !edit.unchanged) throw new InputError(`the rollback would not take any version of ${req.model} out of ${req.env}`);
    if (edit.unchanged) throw new InputError(`rolling back would not change ${path}: ${req.model} already runs what it would restore`);
    const message = rollbackMessage({
      env: req.env,
      model: req.model,
      from: edit.before?.version ?? null,
      to: edit.after?.version ?? null,
      digest: edit.after?.digest ?? null,
      rollbackOf: out,
      reverts: chain.map((e) => e.sha),
      revertedSubject: reverted ? `promote(${req.env}): ${req.model} ${reverted.from ?? 'none'} -> ${reverted.to ?? 'none'}` : undefined,
      approvers: req.approvers ?? [],
    });
    return { edit, message, prBranch: rollbackBranch(req.env, req.model, out[0] ?? 'unknown'), extraNotes };
  });
  return result.unchanged ? { ...result, message: null, reverted: null } : { ...result, reverted };
}

/** The revert of one promotion of `model` as a manifest edit: three-way merge first, restoring the entry as a fallback. */
async function revertEdit(current: string, at: string, before: string, env: string, model: string, path: string, notes: string[]): Promise<ManifestEdit> {
  const merged = await mergeText(current, at, before);
  const beforeEntry = readManifest(current, env, path).spec.models?.[model] ?? null;
  if (merged.conflicts === 0) {
    try {
      const spec = readManifest(merged.text, env, path).spec;
      const after = spec.models?.[model] ?? null;
      // a revert of one model's promotion must not change other models
      const others = (s: typeof spec) => JSON.stringify(Object.entries(s.models ?? {}).filter(([k]) => k !== model));
      if (others(spec) === others(readManifest(current, env, path).spec)) {
        return { text: merged.text, spec, before: beforeEntry, after, from: beforeEntry?.version ?? null, to: after?.version ?? null, action: after ? 'set' : 'remove', unchanged: merged.text === current, notes: [] };
      }
    } catch {
      /* fall through to the entry restore */
    }
  }
  notes.push('the textual revert conflicted with later changes, so the entry was restored as it was before the promotion');
  const entry = readManifest(before, env, path).spec.models?.[model] ?? null;
  return editManifest(current, env, { kind: 'set', model, entry }, path);
}
