/**
 * Workflow commands (`::error::`, `::add-mask::`, `::warning::`) written to stdout, escaped as the
 * runner expects so that a message can never end the command early or start another one.
 */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function workflowCommand(name: string, message: string, props: Record<string, string> = {}): string {
  const p = Object.entries(props)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  return `::${name}${p ? ' ' + p : ''}::${escapeData(message)}\n`;
}
