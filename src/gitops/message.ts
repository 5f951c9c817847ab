import { InputError } from '../errors.js';
import { TRAILER } from './history.js';
import type { CommitMessage } from './writer.js';

/** One line, no control characters: trailer values and subjects come from flags and must not forge other trailers. */
export function oneLine(v: string, what: string): string {
  const s = v.trim();
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new InputError(`${what} must be a single line of text, got ${JSON.stringify(v)}`);
  if (s.length > 300) throw new InputError(`${what} is longer than 300 characters`);
  return s;
}

export function checkEvaluationUrl(url: string): string {
  const s = oneLine(url, '--evaluation-url');
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new InputError(`--evaluation-url must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new InputError(`--evaluation-url must be an http(s) URL, got ${JSON.stringify(url)}`);
  return s;
}

function trailerBlock(pairs: [string, string | number | null | undefined][]): string {
  return pairs
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('\n');
}

export interface PromotionFacts {
  env: string;
  model: string;
  from: string | null;
  to: string;
  digest: string;
  weight?: number;
  evaluation?: string;
  approvers: string[];
  /** e.g. "drops the canary 1.5.0" */
  notes?: string[];
}

/** `promote(<env>): <model> <from> -> <to>` with the trailers `slipway audit` reads back. */
export function promotionMessage(f: PromotionFacts): CommitMessage {
  const canary = f.weight !== undefined && f.weight < 100;
  const headline = `promote(${f.env}): ${f.model} ${f.from ?? 'none'} -> ${f.to}${canary ? ` (canary ${f.weight}%)` : ''}`;
  const lines = [
    canary
      ? `Send ${f.weight}% of ${f.model} traffic in ${f.env} to ${f.to}; ${f.from ?? 'none'} keeps the rest.`
      : `Pin ${f.model} ${f.to} in environments/${f.env}.yaml${f.from ? `, replacing ${f.from}` : ' (first deployment)'}.`,
    ...(f.notes ?? []).map((n) => `This ${n}.`),
  ];
  const trailers = trailerBlock([
    [TRAILER.model, f.model],
    [TRAILER.environment, f.env],
    [TRAILER.version, f.to],
    [TRAILER.from, f.from ?? 'none'],
    [TRAILER.digest, f.digest],
    [TRAILER.weight, canary ? f.weight : undefined],
    [TRAILER.evaluation, f.evaluation],
    ...f.approvers.map((a): [string, string] => [TRAILER.approver, a]),
  ]);
  return { headline, body: `${lines.join('\n')}\n\n${trailers}` };
}

export interface RollbackFacts {
  env: string;
  model: string;
  from: string | null;
  to: string | null;
  digest: string | null;
  rollbackOf: string[];
  /** the promotion commits reverted, newest first */
  reverts: string[];
  revertedSubject?: string;
  approvers: string[];
}

/** `rollback(<env>): <model> <from> -> <to>`, naming the reverted commit as `git revert` does. */
export function rollbackMessage(f: RollbackFacts): CommitMessage {
  // a canary taken out leaves the stable version as it was: "1.0.0 -> 1.0.0" would read as a rollback that changes nothing
  const canaryOnly = f.from !== null && f.from === f.to && f.rollbackOf.length > 0 && !f.rollbackOf.includes(f.from);
  const headline = canaryOnly
    ? `rollback(${f.env}): ${f.model} canary ${f.rollbackOf.join(', ')} out, ${f.to} stays`
    : `rollback(${f.env}): ${f.model} ${f.from ?? 'none'} -> ${f.to ?? 'none'}`;
  const lines = [
    f.reverts.length ? `Revert "${f.revertedSubject ?? 'promotion'}"` : `Pin ${f.model} ${f.to ?? 'none'} again in environments/${f.env}.yaml.`,
    '',
    ...(f.reverts.length ? [...f.reverts.map((sha) => `This reverts commit ${sha}.`), ''] : []),
    `Versions taken out of service: ${f.rollbackOf.join(', ')}. Slipway will not promote them again without --force.`,
  ];
  const trailers = trailerBlock([
    [TRAILER.model, f.model],
    [TRAILER.environment, f.env],
    [TRAILER.version, f.to ?? 'none'],
    [TRAILER.from, f.from ?? 'none'],
    [TRAILER.digest, f.digest],
    ...f.rollbackOf.map((v): [string, string] => [TRAILER.rollbackOf, v]),
    ...f.reverts.map((sha): [string, string] => [TRAILER.reverts, sha]),
    ...f.approvers.map((a): [string, string] => [TRAILER.approver, a]),
  ]);
  return { headline, body: `${lines.join('\n')}\n\n${trailers}` };
}
