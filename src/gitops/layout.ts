import { isAlias, isNode, parseDocument, visit, type Document, type Node } from 'yaml';

/**
 * Keeping a hand-written manifest's bytes through an edit. The `yaml` library re-prints the whole
 * document: it keeps comments and key order, but not the spacing before a comment, blank lines, flow
 * spacing or indentation. So the edit is made on the document, and then only the lines it changed are
 * taken from the re-printed text; every other line comes from the original, byte for byte.
 */

/** Lines of `a` matched to lines of `b` (a longest common subsequence): index in b, or -1. */
function matchLines(a: string[], b: string[]): Int32Array | null {
  const out = new Int32Array(a.length).fill(-1);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) out[start] = start++;
  let ea = a.length;
  let eb = b.length;
  while (ea > start && eb > start && a[ea - 1] === b[eb - 1]) out[--ea] = --eb;
  const n = ea - start;
  const m = eb - start;
  if (n === 0 || m === 0) return out;
  if (n * m > 4_000_000) return null;
  // suffix lengths: len[i][j] = LCS of a[start+i..ea) and b[start+j..eb)
  const len = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * (m + 1) + j] = a[start + i] === b[start + j] ? len[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(len[(i + 1) * (m + 1) + j], len[i * (m + 1) + j + 1]);
    }
  }
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (a[start + i] === b[start + j]) {
      out[start + i] = start + j;
      i++;
      j++;
    } else if (len[(i + 1) * (m + 1) + j] >= len[i * (m + 1) + j + 1]) i++;
    else j++;
  }
  return out;
}

/**
 * `edited` (a re-print of `original` with an edit made) with the original's layout wherever the edit did
 * not reach: a three-way merge over lines with `reprinted` (the re-print of `original` without the edit)
 * as the base. Each changed run of lines is placed in the original by the nearest lines around it that the
 * original has as they were re-printed, and only the lines between those are replaced. Returns `edited`
 * itself whenever the merge is not certainly the same document (it is re-parsed and compared).
 */
export function keepLayout(original: string, reprinted: string, edited: string): string {
  if (original === reprinted) return edited;
  const [a, b, c] = [reprinted, edited, original].map((t) => t.split('\n'));
  const ab = matchLines(a, b);
  const ac = matchLines(a, c);
  if (!ab || !ac) return edited;
  const blank = (line: string | undefined) => line !== undefined && line.trim() === '';
  // each run of `a` the edit changed (a[i..j) became b[bi..bj)), as a range of the original to replace
  const spans: { cFrom: number; cTo: number; bFrom: number; bTo: number }[] = [];
  for (let k = 0, prev = -1, prevB = -1; k <= a.length; k++) {
    if (k < a.length && ab[k] < 0) continue;
    const [i, j, bi, bj] = [prev + 1, k, prevB + 1, k < a.length ? ab[k] : b.length];
    prev = k;
    prevB = bj;
    if (i === j && bi === bj) continue;
    const run = ac.subarray(i, j);
    let span: (typeof spans)[number];
    if (j > i ? run.every((x, n) => x === run[0] + n) && run[0] >= 0 : i === 0 || ac[i - 1] >= 0) {
      // the changed lines are in the original as re-printed (or an insertion after a line that is): exactly there
      const cFrom = j > i ? run[0] : i === 0 ? 0 : ac[i - 1] + 1;
      span = { cFrom, cTo: j > i ? run[j - i - 1] + 1 : cFrom, bFrom: bi, bTo: bj };
    } else {
      // the original writes them otherwise: replace everything between the nearest lines both have alike
      let p = i - 1;
      while (p >= 0 && (ac[p] < 0 || ab[p] < 0)) p--;
      let q = j;
      while (q < a.length && (ac[q] < 0 || ab[q] < 0)) q++;
      span = { cFrom: p < 0 ? 0 : ac[p] + 1, cTo: q < a.length ? ac[q] : c.length, bFrom: p < 0 ? 0 : ab[p] + 1, bTo: q < a.length ? ab[q] : b.length };
      // blank lines at its edges stay the original's (the re-print collapses runs of them)
      while (span.cFrom < span.cTo && blank(c[span.cFrom])) {
        span.cFrom++;
        if (span.bFrom < span.bTo && blank(b[span.bFrom])) span.bFrom++;
      }
      while (span.cTo > span.cFrom && blank(c[span.cTo - 1])) {
        span.cTo--;
        if (span.bTo > span.bFrom && blank(b[span.bTo - 1])) span.bTo--;
      }
    }
    const last = spans[spans.length - 1];
    if (last && span.cFrom < last.cTo) {
      last.cTo = Math.max(last.cTo, span.cTo);
      last.bTo = Math.max(last.bTo, span.bTo);
    } else spans.push(span);
  }
  const out: string[] = [];
  let at = 0;
  for (const s of spans) {
    if (s.cFrom < at) return edited;
    out.push(...c.slice(at, s.cFrom), ...b.slice(s.bFrom, s.bTo));
    at = s.cTo;
  }
  out.push(...c.slice(at));
  const merged = out.join('\n');
  return sameDocument(merged, edited) ? merged : edited;
}

function sameDocument(x: string, y: string): boolean {
  const [dx, dy] = [parseDocument(x), parseDocument(y)];
  if (dx.errors.length || dy.errors.length) return false;
  return JSON.stringify(dx.toJS()) === JSON.stringify(dy.toJS());
}

/**
 * Before the entry at `path` is edited: every alias elsewhere that points into it (`uri: *store` in
 * another model, where this one's `uri: &store …` is about to change) becomes a copy of what it points
 * to, so the edit of one model cannot change another through an anchor.
 */
export function detachAliasesInto(doc: Document, path: string[]): void {
  const root = doc.getIn(path, true);
  if (!isNode(root)) return;
  const inside = new Set<unknown>([root]);
  visit(root, (_key, node) => void inside.add(node));
  visit(doc, {
    Alias(_key, alias) {
      if (inside.has(alias)) return undefined;
      const source = alias.resolve(doc);
      if (!source || !inside.has(source)) return undefined;
      const copy = source.clone() as Node;
      visit(copy, (_k, n) => {
        if (isNode(n) && !isAlias(n)) n.anchor = undefined;
      });
      // the value only: the comments around the anchored node stay where they were written
      Object.assign(copy, { anchor: undefined, comment: undefined, commentBefore: undefined, spaceBefore: undefined });
      return copy;
    },
  });
}
