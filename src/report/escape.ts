/**
 * Escaping for text that goes into markdown: every string that came from a report file (model and
 * metric names, groups, URIs, messages, example values) passes through here, so a report cannot
 * inject HTML, links, images, mentions, issue references, table cells or a fake Slipway marker.
 * Credentials are redacted here too (a data URI may be a pre-signed URL or carry user:password):
 * before escaping, since once `:`, `_` and `&` are entities the patterns of redact() no longer match.
 */
import { redact } from '../secrets.js';

const SPECIAL = /[&<>"'`\\|*_[\](){}#!~@:$]/g;

/**
 * Control characters (C0, DEL, C1) and the Unicode line and paragraph separators: what text from the data must
 * not carry onto one line of a message, a table cell or the job's log (a newline there starts a line, which the
 * runner may read as a workflow command such as `::warning::`). Global, for replace(); search() ignores that.
 */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** How far past the cap redact() reads: a credential that starts before the cap and ends within this still matches. */
const REDACT_MARGIN = 512;

/** `n`, or `n - 1` where cutting at `n` would split a surrogate pair. */
function cutPoint(t: string, n: number): number {
  const c = t.charCodeAt(n - 1);
  return c >= 0xd800 && c <= 0xdbff ? n - 1 : n;
}

/** A value cut to `max` characters with '…' (never half a surrogate pair); as it is when it fits. */
export function clipped(t: string, max: number): string {
  return t.length > max ? t.slice(0, cutPoint(t, max - 1)) + '…' : t;
}

/**
 * `t` with credentials redacted, then clipped to `max`: redacted before the cut (a password cut short before
 * its `@` no longer looks like one), and on a bounded prefix, since redact()'s URL pattern takes quadratic
 * time on a long run like "a.a.a.…" and a value from the data can be as long as a client makes it.
 */
export function redactedClip(t: string, max: number): string {
  return clipped(redact(t.length > max + REDACT_MARGIN ? t.slice(0, cutPoint(t, max + REDACT_MARGIN)) : t), max);
}

/**
 * The text with credentials redacted and markdown and HTML neutralised: one line, at most `max`
 * characters before escaping (never cutting a surrogate pair in half). Redaction comes after the
 * invisible characters are gone (a zero-width space inside a token would hide it from the patterns)
 * and before the cut (a password cut short before its `@` would no longer look like one).
 * `$` is escaped too: GitHub renders `$…$` as LaTeX math, so an income band like "$0-$50k" would
 * come out as italic math, and `$\color{…}…$` could restyle text.
 */
function escapeText(value: unknown, max: number): string {
  let t = String(value ?? '');
  // control characters, newlines and Unicode line/paragraph separators become spaces
  t = t.replace(CONTROL_CHARS, ' ');
  // bidi overrides and zero-width characters can disguise text
  t = t.replace(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
  t = redactedClip(t, max);
  t = t.replace(SPECIAL, (c) => `&#${c.charCodeAt(0)};`);
  // bare www. autolinks
  return t.replace(/www\./gi, (m) => m.slice(0, 3) + '&#46;');
}

/**
 * Plain text for a paragraph or table cell: one line, capped, with markdown and HTML neutralised.
 * GitHub finds @mentions and #123 / GH-123 issue references in the rendered HTML's text, where `&#64;`
 * is an `@` again: so a zero-width space (as an entity) follows every `@` before a letter or digit and
 * every `#` or `GH-` before a digit, as Renovate does; "@acme/security-team" in a group name pings no one
 * and "#1" links to no issue.
 */
export function md(value: unknown, max = 300): string {
  return escapeText(value, max)
    .replace(/&#64;(?=[A-Za-z0-9])/g, '&#64;&#8203;')
    .replace(/&#35;(?=[0-9])/g, '&#35;&#8203;')
    .replace(/\b(GH)-(?=[0-9])/gi, '$1&#8203;-');
}

/**
 * Monospace text (digests, commands, paths): an HTML <code> element, whose content is escaped.
 * GitHub does not look for mentions or issue references inside code, so the text stays as it is
 * (a copied command or URI has no zero-width spaces in it).
 */
export function code(value: unknown, max = 300): string {
  return `<code>${escapeText(value, max)}</code>`;
}

/** A label inside a Mermaid chart: a safe character set only, no quotes, brackets or newlines. */
export function mermaidLabel(value: unknown, max = 30): string {
  const t = String(value ?? '')
    .replace(/[^A-Za-z0-9 _.,+%/-]/g, '_')
    .trim()
    .slice(0, max);
  return t || '_';
}

/** The hidden marker that identifies the report comment of one model on a pull request. */
export function reportMarker(model: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(model)) throw new Error(`invalid model name for a marker: ${JSON.stringify(model).slice(0, 80)}`);
  return `<!-- slipway:report model=${model} -->`;
}
