// The user docs point at each other, at files of the repository and at sections (#anchors); so does each
// command's --help. A renamed heading or file leaves a dead link that nothing else notices (render's help
// sent readers to docs/serve.md#kserve, a heading that is "KServe: `slipway render kserve`").
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/registry.js';
import { runCli } from '../support/cli.js';

const REPO = join(import.meta.dirname, '..', '..');
const DOCS = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The text outside fenced code blocks (a `# comment` in a yaml block is not a heading, a link there not a link). */
function prose(text: string): string {
  return text.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '');
}

/** GitHub's anchors for a file's headings: lower case, punctuation dropped, spaces → '-', repeats get -1, -2, … */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(readFileSync(join(REPO, file), 'utf8')).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Why a link from `from` (a repository path) to `target` does not resolve, or null when it does. */
function problem(from: string, target: string): string | null {
  const [path, anchor] = target.split('#', 2);
  const file = path ? relative(REPO, join(REPO, dirname(from), decodeURI(path))) : from;
  if (!existsSync(join(REPO, file))) return `${target}: no file ${file}`;
  if (anchor === undefined || !file.endsWith('.md')) return null;
  return anchors(file).has(anchor) ? null : `${target}: no heading of ${file} has the anchor #${anchor}`;
}

describe('links in the user docs', () => {
  it.each(DOCS)('%s: every relative link names a file (and a heading) of the repository', (doc) => {
    // inline code is not a link either: docs/serve.md's pattern `^[a-z]([-a-z0-9]*[a-z0-9])?$` read as one
    const links = [...prose(readFileSync(join(REPO, doc), 'utf8')).replace(/`[^`\n]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    const relativeLinks = links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l));
    expect(relativeLinks.map((l) => problem(doc, l)).filter(Boolean)).toEqual([]);
  });

  it.each(commands.map((c) => c.name))('slipway %s --help names docs that exist', async (name) => {
    const help = (await runCli([name, '--help'])).stdout;
    const named = [...help.matchAll(/\b(docs\/[\w-]+\.md)(#[\w-]+)?/g)].map((m) => m[1] + (m[2] ?? ''));
    expect(named.map((l) => problem('README.md', l)).filter(Boolean)).toEqual([]);
  });

  it('the anchors follow GitHub (a check of the checker)', () => {
    expect(anchors('docs/train.md')).toContain('where---out-may-write');
    expect(anchors('docs/serve.md')).toContain('kserve-slipway-render-kserve');
    expect(anchors('docs/serve.md')).not.toContain('modelscredit-riskmodelyaml');
    expect(problem('README.md', 'docs/serve.md#kserve')).toMatch(/no heading/);
  });
});
