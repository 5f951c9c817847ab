import { describe, expect, it } from 'vitest';
import { annotationCommand } from '../../src/data/annotations.js';
import { openDuckDB, sqlString } from '../../src/data/duckdb.js';
import { ecmaToRe2, UnsupportedPatternError } from '../../src/data/pattern-sql.js';

/** Patterns whose ECMA and RE2 readings differ unless translated, with inputs that tell them apart. */
const CASES: { pattern: string; inputs: string[] }[] = [
  { pattern: '^a.c$', inputs: ['abc', 'a\nc', 'a\rc', 'a\u2028c', 'a\u2029c', 'a c', 'ac'] },
  { pattern: '^\\s+$', inputs: [' ', '\t', '\u00a0', '\u2003', '\ufeff', '\u3000', 'x', '\u000b'] },
  { pattern: '^\\S+$', inputs: ['abc', 'a b', 'a\u00a0b', 'é'] },
  { pattern: '^[\\s,]+$', inputs: [' ,', '\u00a0,', 'x'] },
  { pattern: '^\\u00e9t\\u00e9$', inputs: ['été', 'ete'] },
  { pattern: '^\\u{1F44D}$', inputs: ['👍', 'x'] },
  { pattern: '^\\d{3}-\\w+\\b', inputs: ['123-abc', '١٢٣-abc', '123-é', '12-x'] },
  { pattern: '^(?<year>[0-9]{4})-[0-9]{2}$', inputs: ['2024-01', '24-01'] },
  { pattern: 'a\\/b', inputs: ['a/b', 'ab'] },
  { pattern: '^[^]$', inputs: ['\n', 'x', 'xy'] },
  { pattern: '^[a\\-z]+$', inputs: ['a-z', 'b'] },
  { pattern: '^\\x41\\0?$', inputs: ['A', 'B', 'AA'] },
  { pattern: 'end$', inputs: ['the end', 'the end\n', 'endless'] },
];

describe('JSON Schema pattern (ECMA-262) → RE2 for DuckDB', () => {
  it('the translated regex matches exactly what the JS regex (as ajv compiles it, flag u) matches', async () => {
    const conn = await openDuckDB();
    try {
      for (const { pattern, inputs } of CASES) {
        const re2 = ecmaToRe2(pattern);
        const js = new RegExp(pattern, 'u');
        const sql = `SELECT ${inputs.map((s, i) => `regexp_matches(${sqlString(s)}, ${sqlString(re2)}) AS m${i}`).join(', ')}`;
        const row = (await conn.runAndReadAll(sql)).getRowObjectsJS()[0];
        const got = inputs.map((_, i) => row[`m${i}`]);
        expect(got, `${pattern} → ${re2}`).toEqual(inputs.map((s) => js.test(s)));
      }
    } finally {
      conn.closeSync();
    }
  });

  it('an untranslated . or \\s would have disagreed (the cases above are discriminating)', async () => {
    const conn = await openDuckDB();
    const r = (await conn.runAndReadAll(`SELECT regexp_matches(${sqlString('a\rc')}, '^a.c$') AS dot, regexp_matches(${sqlString('\u00a0')}, '^\\s$') AS space`)).getRowObjectsJS()[0];
    conn.closeSync();
    expect(r).toEqual({ dot: true, space: false });
    expect(/^a.c$/u.test('a\rc')).toBe(false);
    expect(/^\s$/u.test('\u00a0')).toBe(true);
  });

  it('refuses what RE2 cannot run, naming the construct', () => {
    for (const [p, what] of [
      ['^(?=a)', 'lookahead'],
      ['^(?!a)', 'lookahead'],
      ['(?<=a)b', 'lookbehind'],
      ['(?<!a)b', 'lookbehind'],
      ['(a)\\1', 'backreference \\1'],
      ['(?<x>a)\\k<x>', 'named backreference'],
    ]) {
      expect(() => ecmaToRe2(p), p).toThrow(UnsupportedPatternError);
      expect(() => ecmaToRe2(p), p).toThrow(what);
    }
  });
});

describe('Actions annotations', () => {
  it('escapes data and properties as the workflow-command format requires', () => {
    expect(annotationCommand({ level: 'error', file: 'models/a,b/schema.json', line: 7, column: 3, title: 'x: y', message: '50% bad\nnext line' })).toBe(
      '::error file=models/a%2Cb/schema.json,line=7,col=3,title=x%3A y::50%25 bad%0Anext line\n',
    );
    expect(annotationCommand({ level: 'warning', file: 's.json', title: 't', message: 'm' })).toBe('::warning file=s.json,title=t::m\n');
  });
});
