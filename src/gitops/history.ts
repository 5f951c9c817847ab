import { randomBytes } from 'node:crypto';
import { git } from './git.js';

/**
 * The promotion history of environments, read from ONE `git log` with a custom format and the commit
 * trailers (`%(trailers)`): no call per commit, so it stays fast on repositories with thousands of them.
 */

export const TRAILER = {
  model: 'Slipway-Model',
  version: 'Slipway-Version',
  from: 'Slipway-From',
  digest: 'Slipway-Digest',
  evaluation: 'Slipway-Evaluation',
  approver: 'Slipway-Approver',
  environment: 'Slipway-Environment',
  weight: 'Slipway-Weight',
  rollbackOf: 'Slipway-Rollback-Of',
  reverts: 'Slipway-Reverts',
} as const;

export interface Person {
  name: string;
  email: string;
  date: string;
}

export interface LogCommit {
  sha: string;
  parents: string[];
  author: Person;
  committer: Person;
  subject: string;
  body: string;
  /** trailer key (as written) → values in order */
  trailers: Record<string, string[]>;
}

export type EventKind = 'promote' | 'rollback';

/** One promotion or rollback, as `slipway audit` shows it. */
export interface HistoryEvent {
  kind: EventKind;
  sha: string;
  /** the first parent of the commit (what the manifest was before it) */
  parent: string | null;
  environment: string | null;
  model: string;
  from: string | null;
  to: string | null;
  digest: string | null;
  weight: number | null;
  evaluation: string | null;
  /** from Slipway-Approver trailers, else the author of the PR merge that landed it */
  approvers: string[];
  pr: number | null;
  /** the commit (a merge, when it came through a PR) whose arrival made it take effect, and when */
  landedBy: string;
  when: string;
  committer: string;
  author: string;
  /** rollback: the versions it took out of service */
  rollbackOf: string[];
  /** rollback: the promotion commit it reverts */
  reverts: string | null;
  /** promotion: the commit that reverted it, if one did */
  revertedBy: string | null;
}

const SHA = /^[0-9a-f]{40}$/;

/** Every commit reachable from `ref` that touched `paths`, newest first, with trailers. One git call. */
export async function readLog(repoRoot: string, paths: string[], ref = 'HEAD', env?: NodeJS.ProcessEnv): Promise<LogCommit[]> {
  // A random field separator: a crafted commit message cannot forge fields of its own record.
  const sep = `<sw${randomBytes(6).toString('hex')}>`;
  const format = ['%H', '%P', '%an', '%ae', '%aI', '%cn', '%ce', '%cI', '%s', '%(trailers:only,unfold)', '%b'].join(sep);
  const out = await git(repoRoot, ['log', '-z', '--full-history', '--date-order', `--format=${format}`, ref, '--', ...paths], env ? { env } : {});
  const commits: LogCommit[] = [];
  for (const rec of out.split('\0')) {
    if (!rec.trim()) continue;
    const f = rec.split(sep);
    if (f.length < 11) continue;
    const body = f.slice(10).join(sep);
    commits.push({
      sha: f[0].trim(),
      parents: f[1].split(' ').filter(Boolean),
      author: { name: f[2], email: f[3], date: f[4] },
      committer: { name: f[5], email: f[6], date: f[7] },
      subject: f[8],
      body,
      trailers: parseTrailers(f[9]),
    });
  }
  return commits;
}

export function parseTrailers(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    (out[m[1]] ??= []).push(m[2].trim());
  }
  return out;
}

function trailer(c: LogCommit, key: string): string | null {
  // git trailer keys are case-insensitive
  for (const [k, v] of Object.entries(c.trailers)) if (k.toLowerCase() === key.toLowerCase() && v.length) return v[v.length - 1];
  return null;
}

function trailers(c: LogCommit, key: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(c.trailers)) if (k.toLowerCase() === key.toLowerCase()) out.push(...v);
  return out;
}

function envFromSubject(subject: string): string | null {
  return /^(?:promote|rollback)\(([a-z0-9][a-z0-9-]*)\)/.exec(subject)?.[1] ?? null;
}

function person(p: Person): string {
  return p.email ? `${p.name} <${p.email}>` : p.name;
}

/** The commits a revert names (`This reverts commit <sha>.` as `git revert` writes it, or Slipway-Reverts trailers), newest first. */
export function revertedShas(c: LogCommit): string[] {
  const out = trailers(c, TRAILER.reverts).filter((t) => SHA.test(t));
  for (const m of c.body.matchAll(/This reverts commit ([0-9a-f]{40})/g)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

export function revertedSha(c: LogCommit): string | null {
  return revertedShas(c)[0] ?? null;
}

/** A GitHub PR merge (`Merge pull request #N from …`) or a squash merge (`… (#N)`). */
function prNumber(c: LogCommit): number | null {
  const m = /^Merge pull request #(\d+) /.exec(c.subject) ?? (c.parents.length === 1 ? /\(#(\d+)\)\s*$/.exec(c.subject) : null);
  return m ? Number(m[1]) : null;
}

function num(v: string | null): number | null {
  return v !== null && /^\d+$/.test(v) ? Number(v) : null;
}

const NAME = '[a-z0-9][a-z0-9-]{0,62}';
const VERSION = '(?:none|\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.-]+)?)';
const PR_SUFFIX = '(?: \\(#\\d+\\))?';
const PROMOTE_SUBJECT = new RegExp(`^(promote|rollback)\\((${NAME})\\): (${NAME}) (${VERSION}) -> (${VERSION})(?: \\(canary (\\d+)%\\))?${PR_SUFFIX}$`);
const CANARY_OUT_SUBJECT = new RegExp(`^rollback\\((${NAME})\\): (${NAME}) canary (${VERSION}(?:, ${VERSION})*) out, (${VERSION}) stays${PR_SUFFIX}$`);

/**
 * A Slipway commit squash-merged with GitHub's "pull request title" (or "title and description") commit
 * message keeps its subject but loses its trailers: the subject says what they said, but the digest.
 */
function withSubjectTrailers(c: LogCommit): LogCommit {
  if (trailer(c, TRAILER.model)) return c;
  const m = PROMOTE_SUBJECT.exec(c.subject);
  if (m) {
    const [, kind, env, model, from, to, weight] = m;
    const t: Record<string, string[]> = { [TRAILER.model]: [model], [TRAILER.environment]: [env], [TRAILER.version]: [to], [TRAILER.from]: [from] };
    if (weight) t[TRAILER.weight] = [weight];
    if (kind === 'rollback' && from !== 'none') t[TRAILER.rollbackOf] = [from];
    return { ...c, trailers: { ...c.trailers, ...t } };
  }
  const k = CANARY_OUT_SUBJECT.exec(c.subject);
  if (!k) return c;
  const [, env, model, out, stays] = k;
  const t = { [TRAILER.model]: [model], [TRAILER.environment]: [env], [TRAILER.version]: [stays], [TRAILER.from]: [stays], [TRAILER.rollbackOf]: out.split(', ') };
  return { ...c, trailers: { ...c.trailers, ...t } };
}

/** Turns the log into promotion and rollback events, newest first: merges enrich the promotions they landed. */
export function historyEvents(log: LogCommit[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const eventBySha = new Map<string, HistoryEvent>();
  // the promotions (and rollbacks) each merge landed: GitHub's "Revert" button on a merged PR reverts the merge
  const landedBy = new Map<string, HistoryEvent[]>();
  const revertedEvents = (sha: string): HistoryEvent[] => {
    const e = eventBySha.get(sha);
    return e ? [e] : (landedBy.get(sha) ?? []);
  };
  // oldest first, so reverts find the promotions they revert already turned into events
  for (const logged of [...log].reverse()) {
    const c = withSubjectTrailers(logged);
    const model = trailer(c, TRAILER.model);
    const reverts = revertedSha(c);
    const explicitRollback = trailers(c, TRAILER.rollbackOf);
    let ev: HistoryEvent | null = null;
    const base = {
      sha: c.sha,
      parent: c.parents[0] ?? null,
      landedBy: c.sha,
      when: c.committer.date,
      committer: person(c.committer),
      author: person(c.author),
      pr: prNumber(c),
      revertedBy: null,
    };
    if (model && (explicitRollback.length || reverts)) {
      ev = {
        ...base,
        kind: 'rollback',
        environment: trailer(c, TRAILER.environment) ?? envFromSubject(c.subject),
        model,
        from: trailer(c, TRAILER.from),
        to: trailer(c, TRAILER.version),
        digest: trailer(c, TRAILER.digest),
        weight: null,
        evaluation: trailer(c, TRAILER.evaluation),
        approvers: trailers(c, TRAILER.approver),
        rollbackOf: explicitRollback,
        reverts,
      };
    } else if (model) {
      ev = {
        ...base,
        kind: 'promote',
        environment: trailer(c, TRAILER.environment) ?? envFromSubject(c.subject),
        model,
        from: trailer(c, TRAILER.from),
        to: trailer(c, TRAILER.version),
        digest: trailer(c, TRAILER.digest),
        weight: num(trailer(c, TRAILER.weight)),
        evaluation: trailer(c, TRAILER.evaluation),
        approvers: trailers(c, TRAILER.approver),
        rollbackOf: [],
        reverts: null,
      };
    } else if (reverts && revertedEvents(reverts)[0]?.kind === 'rollback') {
      // a plain `git revert` of a rollback (a revert of a revert): the versions it took out are back in service
      const r = revertedEvents(reverts)[0];
      const original = r.reverts ? eventBySha.get(r.reverts) : undefined;
      ev = {
        ...base,
        kind: 'promote',
        environment: r.environment,
        model: r.model,
        from: r.to,
        to: original?.to ?? r.rollbackOf[0] ?? r.from,
        digest: original?.digest ?? null,
        weight: original?.weight ?? null,
        evaluation: original?.evaluation ?? null,
        approvers: [],
        rollbackOf: [],
        reverts,
      };
      for (const undone of revertedEvents(reverts)) undone.revertedBy = c.sha;
    } else if (reverts && revertedEvents(reverts)[0]?.kind === 'promote') {
      // a plain `git revert` of a promotion (or of the merge of its pull request), made by hand: still a rollback
      const p = revertedEvents(reverts)[0];
      ev = {
        ...base,
        kind: 'rollback',
        environment: p.environment,
        model: p.model,
        from: p.to,
        to: p.from,
        digest: null,
        weight: null,
        evaluation: null,
        approvers: [],
        rollbackOf: p.to ? [p.to] : [],
        reverts,
      };
    } else if (c.parents.length > 1) {
      // a merge: it lands the promotions of its other parents' side
      const pr = prNumber(c);
      for (const parent of c.parents.slice(1)) {
        const landed = eventBySha.get(parent);
        if (!landed || landed.landedBy !== landed.sha) continue;
        landedBy.set(c.sha, [...(landedBy.get(c.sha) ?? []), landed]);
        landed.landedBy = c.sha;
        landed.when = c.committer.date;
        landed.pr = pr ?? landed.pr;
        if (!landed.approvers.length) landed.approvers = [pr !== null ? `${c.author.name} (merged PR #${pr})` : `${c.author.name} (merge)`];
      }
    }
    if (!ev) continue;
    if (ev.pr !== null && !ev.approvers.length && c.parents.length === 1 && prNumber(c) !== null) ev.approvers = [`PR #${ev.pr}`];
    if (ev.kind === 'rollback') {
      // the reverted commits may be outside this log (another path or branch): then the trailers say it all
      for (const sha of revertedShas(c)) {
        for (const target of revertedEvents(sha)) {
          target.revertedBy = c.sha;
          if (!ev.rollbackOf.length && target.to) ev.rollbackOf = [target.to];
        }
      }
    }
    events.push(ev);
    eventBySha.set(c.sha, ev);
  }
  return events.reverse();
}

/** The history of one environment (or of all, when env is undefined), newest first. One git call. */
export async function readHistory(repoRoot: string, options: { env?: string; ref?: string; gitEnv?: NodeJS.ProcessEnv } = {}): Promise<HistoryEvent[]> {
  const paths = options.env ? [`environments/${options.env}.yaml`] : ['environments/'];
  const events = historyEvents(await readLog(repoRoot, paths, options.ref ?? 'HEAD', options.gitEnv));
  return options.env ? events.filter((e) => e.environment === null || e.environment === options.env) : events;
}

/** Versions of `model` recorded as rolled back (in any environment), with the commit that did it. */
export function rolledBackVersions(events: HistoryEvent[], model: string): Map<string, HistoryEvent> {
  const out = new Map<string, HistoryEvent>();
  // a rollback that was itself reverted put its versions back: they are no longer recorded as rolled back
  for (const e of events) if (e.kind === 'rollback' && e.model === model && !e.revertedBy) for (const v of e.rollbackOf) if (!out.has(v)) out.set(v, e);
  return out;
}

/** The newest promotion of `model` in `env` that no later rollback has reverted. */
export function lastPromotion(events: HistoryEvent[], model: string, env: string): HistoryEvent | null {
  return events.find((e) => e.kind === 'promote' && e.model === model && (e.environment === env || e.environment === null) && !e.revertedBy) ?? null;
}
