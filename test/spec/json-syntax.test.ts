import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, jsonFileError, jsonSyntaxError } from '../../src/spec/json-syntax.js';

/** JSON.parse's own error for `text` (the reference), or undefined when it parses. */
function v8Error(text: string): Error | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

const at = (text: string) => jsonSyntaxError(text, v8Error(text));

describe('jsonSyntaxError', () => {
  it('names the line, column and reason, with advice for the usual mistakes', () => {
    expect(at('{"a":[NaN]}')).toEqual({ line: 1, column: 7, message: expect.stringMatching(/^unexpected 'N': NaN and Infinity are not JSON \(Python's json\.dumps writes them unless allow_nan=False\); send null/) });
    expect(at('{"a":\n  -Infinity}')).toMatchObject({ line: 2, column: 4, message: expect.stringMatching(/^unexpected 'I': NaN and Infinity/) });
    expect(at('{"a":[1,]}')).toEqual({ line: 1, column: 9, message: "unexpected ']': a trailing comma is not JSON" });
    expect(at('{"a":1,\n}')).toEqual({ line: 2, column: 1, message: "unexpected '}': a trailing comma is not JSON" });
    expect(at("{'a':1}")).toEqual({ line: 1, column: 2, message: `unexpected "'": JSON strings take double quotes` });
    expect(at('{"a":\n  [1,\n   2.]}')).toEqual({ line: 3, column: 6, message: "unterminated fractional number (found ']')" });
    expect(at('{"a":1 "b":2}')).toEqual({ line: 1, column: 8, message: `expected ',' or '}' after property value (found '"')` });
    expect(at('{"a":"b\nc"}')).toEqual({ line: 1, column: 8, message: 'bad control character in string literal (found "\\n")' });
    expect(at('{"a":tru}')).toEqual({ line: 1, column: 9, message: "unexpected '}'" });
    expect(at('{"inputs": [')).toEqual({ line: 1, column: 13, message: 'the text ends before the JSON value does' });
    expect(at(' \n ')).toEqual({ line: 2, column: 2, message: 'empty: expected a JSON value' });
    expect(at('{"a": {"b": [true, false, null, -0.5e-3, "\\u00e9\\"\\/"]}}')).toBeNull();
  });

  it('finds the offset JSON.parse reports, and agrees with it on what is JSON, over 30,000 random edits', () => {
    const docs = [
      '{"id":"r-1","inputs":[{"name":"income","shape":[1],"datatype":"FP64","data":[42000.5e-3]},{"name":"x","shape":[2,1],"datatype":"BYTES","data":["a\\"b\\u00e9\\n",null,true,false]}]}',
      '[ -0 , 1E+2, {"":{}} , [ ] ,"\\/"]\n',
    ];
    const alphabet = '{}[],:"\\ -+.0123456789eEtfnulraNI\'x\n\t\u0001';
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let positioned = 0;
    for (let t = 0; t < 30000; t++) {
      let s = docs[t % docs.length];
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
        const i = Math.floor(rnd() * (s.length + 1));
        const c = alphabet[Math.floor(rnd() * alphabet.length)];
        const op = rnd();
        s = op < 0.33 ? s.slice(0, i) + s.slice(i + 1) : op < 0.66 ? s.slice(0, i) + c + s.slice(i) : s.slice(0, i) + c + s.slice(i + 1);
      }
      const e = v8Error(s);
      const offset = jsonErrorOffset(s);
      if (!e) {
        expect(offset, s).toBe(-1);
        continue;
      }
      expect(offset, s).toBeGreaterThanOrEqual(0);
      const reported = / at position (\d+)/.exec(e.message);
      if (reported) {
        positioned++;
        expect(offset, `${s}: ${e.message}`).toBe(Number(reported[1]));
      }
    }
    expect(positioned).toBeGreaterThan(10000);
  });

  it('formats a file error as file:line:column, and falls back to the parser message when the text is JSON after all', () => {
    expect(jsonFileError('metrics.json', '{"auc": NaN}', v8Error('{"auc": NaN}'))).toMatch(/^metrics\.json:1:9: not valid JSON: unexpected 'N': NaN and Infinity/);
    expect(jsonFileError('x.json', '[1]', new RangeError('Maximum call stack size exceeded'))).toBe('x.json: not valid JSON: Maximum call stack size exceeded');
  });
});
