import { describe, expect, it } from 'vitest';
import { onceAMinute } from '../../src/serve/once-a-minute.js';

describe('onceAMinute', () => {
  it('reports an error that repeats once a minute, and any other message at once', () => {
    let t = 0;
    const said: string[] = [];
    const report = onceAMinute((e) => said.push(`${t}: ${e.message}`), () => t);
    for (t = 0; t < 59_000; t += 1_000) report(new Error('shadow down'));
    expect(said).toEqual(['0: shadow down']);
    report(new Error('disk full'));
    report(new Error('shadow down')); // another message came between: said again
    t = 60_000;
    report(new Error('shadow down'));
    t = 118_999; // 59,999 ms after it was last said
    report(new Error('shadow down'));
    t = 119_000;
    report(new Error('shadow down'));
    expect(said).toEqual(['0: shadow down', '59000: disk full', '59000: shadow down', '119000: shadow down']);
  });
});
