import { describe, expect, it } from 'vitest';
import { checkDuration, MAX_DURATION_MS, parseDuration } from '../../src/spec/duration.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('durations used as timer delays', () => {
  it('are capped at 2^31-1 ms, the longest delay a Node timer takes (a longer one fires after 1 ms)', () => {
    expect(MAX_DURATION_MS).toBe(2147483647);
    expect(checkDuration('596h')).toEqual({ ms: 596 * 3_600_000 });
    expect(checkDuration('2147483647ms')).toEqual({ ms: 2147483647 });
    expect(checkDuration('2147483648ms').problem).toBe('is too long: at most 596h (about 24.8 days, the longest a timer can wait)');
    expect(checkDuration('600h').problem).toMatch(/^is too long/);
    expect(checkDuration('99999999999999h').problem).toMatch(/^is too long/);
    expect(checkDuration('9'.repeat(400) + 'h').problem).toMatch(/^is too long/); // Infinity as a number
  });

  it('must be more than 0 unless 0 is allowed, and must be a duration', () => {
    expect(checkDuration('0s').problem).toBe('must be more than 0');
    expect(checkDuration('0.1ms').problem).toBe('must be more than 0'); // rounds to 0 ms
    expect(checkDuration('0s', { zero: true })).toEqual({ ms: 0 });
    expect(checkDuration('soon').problem).toBe('is not a duration such as 90s, 30m or 2h');
    expect(parseDuration('1.5m')).toBe(90_000);
  });

  it('serve refuses --interval and --shutdown-grace beyond the cap, exit 2, before anything starts', async () => {
    const { dir } = tempDir('slipway-duration-');
    const interval = await runCli(['serve', '--env', 'production', '--interval', '1000h'], dir);
    expect([interval.code, interval.stderr]).toEqual([2, "error: --interval '1000h' is too long: at most 596h (about 24.8 days, the longest a timer can wait)\n"]);
    const grace = await runCli(['serve', '--env', 'production', '--shutdown-grace', '2147483648ms'], dir);
    expect([grace.code, grace.stderr]).toEqual([2, "error: --shutdown-grace '2147483648ms' is too long: at most 596h (about 24.8 days, the longest a timer can wait)\n"]);
  });
});
