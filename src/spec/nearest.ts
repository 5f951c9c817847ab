/** What a name the user gave most likely meant: the nearest known name (a typo), for messages that list the names there are. */

/** The known name within two edits of `given` (or that one of them starts the other), if exactly one is nearest: what a typo meant. */
export function nearest(given: string, names: string[]): string | undefined {
  const scored = names.map((n) => ({ n, d: n.startsWith(given) || given.startsWith(n) ? 1 : distance(given, n) })).filter((x) => x.d <= 2);
  if (!scored.length) return undefined;
  const best = Math.min(...scored.map((x) => x.d));
  const at = scored.filter((x) => x.d === best);
  return at.length === 1 ? at[0].n : undefined;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The tail of a "not found" message: the names there are (`kind`s: models, environments) and the one `given`
 * most likely meant, e.g. ` (environments: production, staging; did you mean staging?)`.
 */
export function otherNames(kind: string, given: string, names: string[]): string {
  if (!names.length) return ` (there are no ${kind}s)`;
  const near = nearest(given, names);
  return ` (${kind}s: ${names.join(', ')}${near ? `; did you mean ${near}?` : ''})`;
}
