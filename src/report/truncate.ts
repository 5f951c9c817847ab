/**
 * Fitting the report under GitHub's size limits: 65,536 characters for a comment, 65,535 for a
 * check run summary, 1 MiB for a job summary. Sections are kept whole and in order; a section that
 * does not fit is left out and named in a note that points to the full report.
 */
import type { Section } from './render.js';

export const COMMENT_LIMIT = 65_536;
export const CHECK_SUMMARY_LIMIT = 65_535;
export const JOB_SUMMARY_LIMIT = 1_000_000;

export interface Fitted {
  markdown: string;
  omitted: string[];
}

/**
 * Joins `head` (e.g. the marker) and the sections, leaving out whole sections (never the first)
 * until the result is at most `limit` characters; then says what was left out and where to find it.
 */
export function fitSections(head: string, sections: Section[], limit: number, fullReportAt: string): Fitted {
  const join = (parts: string[]) => parts.join('\n\n') + '\n';
  const all = join([head, ...sections.map((s) => s.markdown)].filter(Boolean));
  if (all.length <= limit) return { markdown: all, omitted: [] };
  const noteFor = (omitted: string[]) =>
    `> [!NOTE]\n> This report was shortened to fit GitHub's ${limit.toLocaleString('en-US')}-character limit: ${omitted.join(', ')} ${omitted.length === 1 ? 'is' : 'are'} left out. The full report is in ${fullReportAt}.`;
  // the longest note possible, so whatever we keep still fits with it
  const reserve = noteFor(sections.map((s) => s.title)).length + 4;
  const kept: string[] = head ? [head] : [];
  const omitted: string[] = [];
  let size = join(kept).length;
  sections.forEach((s, i) => {
    const add = s.markdown.length + 2;
    if (size + add + reserve <= limit) {
      kept.push(s.markdown);
      size += add;
    } else if (i === 0) {
      // the verdict always stays: cut it at a line boundary
      const room = Math.max(0, limit - reserve - size - 40);
      const cut = s.markdown.slice(0, room);
      kept.push(cut.slice(0, Math.max(0, cut.lastIndexOf('\n'))) + '\n\n… (cut)');
      size = join(kept).length;
      omitted.push(`part of ${s.title}`);
    } else omitted.push(s.title);
  });
  kept.push(noteFor(omitted));
  return { markdown: join(kept), omitted };
}
