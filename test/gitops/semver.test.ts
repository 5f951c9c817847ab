import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { bumpMinor, compareSemver, parseSemver, semverProblem } from '../../src/gitops/semver.js';

describe('semantic versions', () => {
  it('parses MAJOR.MINOR.PATCH[-pre] with parts up to Number.MAX_SAFE_INTEGER, as node-semver does', () => {
    expect(parseSemver('1.2.3-rc.1')).toEqual({ major: 1, minor: 2, patch: 3, pre: 'rc.1' });
    expect(parseSemver('9007199254740991.9007199254740991.9007199254740991')).toEqual({ major: 9007199254740991, minor: 9007199254740991, patch: 9007199254740991, pre: undefined });
    for (const v of ['9007199254740992.0.0', '0.9007199254740992.0', '0.0.9007199254740992', '99999999999999999999.0.0']) expect(parseSemver(v), v).toBeNull();
    expect(parseSemver('1.2')).toBeNull();
    expect(parseSemver('01.2.3')).toBeNull();
  });

  it('says what is wrong: not a version, or a part that would round', () => {
    expect(semverProblem('1.2.3')).toBeUndefined();
    expect(semverProblem('banana')).toBe('is not a semantic version such as 1.2.0');
    expect(semverProblem('99999999999999999999.0.0')).toBe('has a part above 9007199254740991 (Number.MAX_SAFE_INTEGER, the largest whole number held exactly)');
  });

  it('compares and bumps exactly at the largest safe parts', () => {
    expect(compareSemver('9007199254740991.0.0', '9007199254740990.0.0')).toBe(1);
    expect(compareSemver('1.0.9007199254740991', '1.0.9007199254740990')).toBe(1);
    expect(bumpMinor('9007199254740991.9007199254740990.7')).toBe('9007199254740991.9007199254740991.0');
    const e = (() => {
      try {
        bumpMinor('1.9007199254740991.0');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(/cannot bump the minor version of 1\.9007199254740991\.0: .*give the version explicitly/);
  });
});
