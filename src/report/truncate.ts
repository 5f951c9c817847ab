/**
 * Fitting the report under GitHub's size limits: 65,536 characters for a comment, 65,535 bytes for a
 * check run summary (GitHub: 'summary exceeds a maximum bytesize of 65535'), 1 MiB (bytes) for a job
 * summary. Sections are kept whole and in order; a section that
 * does not fit is left out and named in a note that points to the full report.
 */
import type { Section } from './render.js';

export const COMMENT_LIMIT = 65_536;
export const CHECK_SUMMARY_LIMIT = 65_535;
/** bytes: GitHub refuses a step summary over 1 MiB (1,048,576 bytes) whole, so this leaves a margin */
export const JOB_SUMMARY_LIMIT = 1_000_000;

export interface Fitted {
  markdown: string;
  omitted: string[];
}

/** How a limit is counted: GitHub limits a comment in characters, a check run's summary and a step's summary in bytes. */
export type Measure = 'characters' | 'utf8-bytes';

/** The size of a text as a limit counts it (UTF-16 units for characters: never fewer than GitHub counts). */
export function sizeOf(text: string, measure: Measure = 'characters'): number {
  return measure === 'utf8-bytes' ? Buffer.byteLength(text, 'utf8') : text.length;
}

/**
 * Joins `head` (e.g. the marker) and the sections, leaving out whole sections (never the first)
 * until the result is at most `limit` (characters, or UTF-8 bytes for the job summary: a group name in
 * CJK is 3 bytes a character, so a report under 1,000,000 characters can be far over 1 MiB); then says
 * what was left out and where to find it.
 */
export function fitSections(head: string, sections: Section[], limit: number, fullReportAt: string, measure: Measure = 'characters'): Fitted {
  const join = (parts: string[]) => parts.join('\n\n') + '\n';
  const size = (t: string) => sizeOf(t, measure);
  const all = join([head, ...sections.map((s) => s.markdown)].filter(Boolean));
  if (size(all) <= limit) return { markdown: all, omitted: [] };
  const noteFor = (omitted: string[]) =>
    `> [!NOTE]\n> This report was shortened to fit GitHub's ${limit.toLocaleString('en-US')}-${measure === 'utf8-bytes' ? 'byte' : 'character'} limit: ${omitted.join(', ')} ${omitted.length === 1 ? 'is' : 'are'} left out. The full report is in ${fullReportAt}.`;
  // the longest note possible, so whatever we keep still fits with it
  const reserve = size(noteFor(sections.map((s) => s.title))) + 4;
  const kept: string[] = head ? [head] : [];
  const omitted: string[] = [];
  let used = size(join(kept));
  sections.forEach((s, i) => {
    const add = size(s.markdown) + 2;
    if (used + add + reserve <= limit) {
      kept.push(s.markdown);
      used += add;
    } else if (i === 0) {
      // the verdict always stays: cut it at a line boundary, keeping whole lines while they fit
      const room = Math.max(0, limit - reserve - used - 40);
      const lines: string[] = [];
      let taken = 0;
      for (const line of s.markdown.split('\n')) {
        const n = size(line) + 1;
        if (taken + n > room) break;
        lines.push(line);
        taken += n;
      }
      kept.push(lines.join('\n') + '\n\n… (cut)');
      used = size(join(kept));
      omitted.push(`part of ${s.title}`);
    } else omitted.push(s.title);
  });
  kept.push(noteFor(omitted));
  return { markdown: join(kept), omitted };
}
