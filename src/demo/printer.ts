/** How the demo shows progress: numbered steps with timings, command output indented beneath. */
export interface Printer {
  step(title: string): void;
  done(note?: string): void;
  detail(text: string): void;
  command(argv: string[]): void;
}

export function consolePrinter(write: (t: string) => void, total: number, color = false): Printer {
  let n = 0;
  let started = 0;
  const t0 = Date.now();
  const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[22m` : s);
  const dim = (s: string) => (color ? `\x1b[2m${s}\x1b[22m` : s);
  return {
    step(title) {
      n++;
      started = Date.now();
      write(`\n${bold(`[${n}/${total}] ${title}`)}\n`);
    },
    done(note) {
      write(dim(`    ✓ ${note ? note + ' ' : ''}(${((Date.now() - started) / 1000).toFixed(1)}s, ${((Date.now() - t0) / 1000).toFixed(1)}s total)`) + '\n');
    },
    detail(text) {
      const lines = text.replace(/\s+$/, '').split('\n');
      write(lines.map((l) => `    ${l}`).join('\n') + '\n');
    },
    command(argv) {
      write(dim(`    $ slipway ${argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`) + '\n');
    },
  };
}

/** Keeps the first `max` lines of a command's output (the demo's screen is not a log file). */
export function clip(text: string, max = 14): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.length <= max ? lines.join('\n') : [...lines.slice(0, max), `… (${lines.length - max} more lines)`].join('\n');
}
