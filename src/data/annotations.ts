/**
 * GitHub Actions workflow-command annotations (`::error file=…,line=…::…`) pointing at the line of
 * schema.json that holds the violated rule, so the PR's "Files changed" view shows it in place.
 */
export interface Annotation {
  level: 'error' | 'warning';
  /** repository-relative path */
  file: string;
  line?: number;
  column?: number;
  title: string;
  message: string;
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function annotationCommand(a: Annotation): string {
  const props = [`file=${escapeProperty(a.file)}`];
  if (a.line) props.push(`line=${a.line}`);
  if (a.column) props.push(`col=${a.column}`);
  props.push(`title=${escapeProperty(a.title)}`);
  return `::${a.level} ${props.join(',')}::${escapeData(a.message)}\n`;
}
