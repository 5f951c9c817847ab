/**
 * Escaping for text that goes into markdown: every string that came from a report file (model and
 * metric names, groups, URIs, messages, example values) passes through here, so a report cannot
 * inject HTML, links, images, mentions, issue references, table cells or a fake Slipway marker.
 */

const SPECIAL = /[&<>"'`\\|*_[\](){}#!~@:]/g;

/** Plain text for a paragraph or table cell: one line, capped, with markdown and HTML neutralised. */
export function md(value: unknown, max = 300): string {
  let t = String(value ?? '');
  // control characters, newlines and Unicode line/paragraph separators become spaces
  // eslint-disable-next-line no-control-regex
  t = t.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  // bidi overrides and zero-width characters can disguise text
  t = t.replace(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
  if (t.length > max) t = t.slice(0, max - 1) + '…';
  t = t.replace(SPECIAL, (c) => `&#${c.charCodeAt(0)};`);
  // bare www. autolinks
  return t.replace(/www\./gi, (m) => m.slice(0, 3) + '&#46;');
}

/** Monospace text (digests, commands, paths): an HTML <code> element, whose content is escaped. */
export function code(value: unknown, max = 300): string {
  return `<code>${md(value, max)}</code>`;
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
