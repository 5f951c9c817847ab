import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { readPackage } from '../../src/package/read.js';
import { parseYamlText } from '../../src/spec/yaml-file.js';
import { runCli } from '../support/cli.js';
import { configRepo, GOOD_MODEL } from '../support/config-repo.js';
import { tempDir } from '../support/tmp.js';

/** The wording of config-file errors: JSON files say JSON, empty files say so, numbers that should be strings say how to quote them. */
async function check(files: Record<string, string>, args: string[] = []) {
  const dir = configRepo(files, { withModel: true, prefix: 'slipway-msg-' });
  const r = await runCli(['check', '--repo', dir, ...args], dir);
  return { ...r, lines: r.stderr.trim().split('\n') };
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split('\n');
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('a broken .json file says invalid JSON, at the byte where it stops being JSON', () => {
  it('schema.json with a missing closing brace, through check', async () => {
    const r = await check({ 'models/m/schema.json': '{\n  "properties": {\n    "default": { "type": "integer" }\n  }\n' }, ['--model', 'm']);
    expect(r.code).toBe(2);
    expect(r.lines[0]).toBe('models/m/schema.json:5:1: (root): invalid JSON: the text ends before the JSON value does');
    expect(r.stderr).not.toContain('YAML');
  });

  it('a trailing comma, which YAML would have accepted, and duplicate keys', () => {
    expect(issuesOf(() => parseYamlText('{\n  "properties": {},\n}\n', 'schema.json'))).toEqual(["schema.json:3:1: (root): invalid JSON: unexpected '}': a trailing comma is not JSON"]);
    expect(issuesOf(() => parseYamlText('{"a": 1, "a": 2}', 'models/m/schema.json@0123abcd'))[0]).toMatch(/^models\/m\/schema\.json@0123abcd:1:10: \(root\): invalid JSON: Map keys must be unique/);
  });

  it('a UTF-16 file (PowerShell writes one with > or Out-File) is named as such, not as a wrong type or odd characters', () => {
    // the bytes PowerShell writes, read as UTF-8 as every reader does: with the byte order mark, and without it
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('models:\r\n  m: {version: 1.0.0}\r\n', 'utf16le')]).toString('utf8');
    const be = Buffer.from('name: m\n', 'utf16le').swap16().toString('utf8');
    for (const [text, name] of [[le, 'environments/staging.yaml'], [be, 'model.yaml'], [Buffer.from('{"a": 1}', 'utf16le').toString('utf8'), 'schema.json']]) {
      expect(issuesOf(() => parseYamlText(text, name))).toEqual([`${name}:1:1: (root): the file is UTF-16 (as PowerShell writes with > or Out-File); save it as UTF-8`]);
    }
  });

  it('a UTF-8 byte order mark (as Windows editors write) is read past in JSON and YAML alike, and errors keep their positions', () => {
    const bom = '\ufeff';
    expect(parseYamlText(`${bom}{"properties": {"a": {"type": "integer"}}}`, 'schema.json').value).toEqual({ properties: { a: { type: 'integer' } } });
    expect(parseYamlText(`${bom}name: m\r\ntask: regression\r\n`, 'model.yaml').value).toEqual({ name: 'm', task: 'regression' });
    expect(issuesOf(() => parseYamlText(`${bom}{\n  "properties": {},\n}\n`, 'schema.json'))).toEqual(["schema.json:3:1: (root): invalid JSON: unexpected '}': a trailing comma is not JSON"]);
  });

  it("a package's slipway.json", async () => {
    const t = tempDir('slipway-msg-pkg-');
    t.write('model.onnx', 'not read');
    t.write('slipway.json', '{ "name": "m", "version": "1.0.0"');
    await expect(readPackage(t.dir)).rejects.toThrow(/slipway\.json:1:34: \(root\): invalid JSON: the text ends before the JSON value does$/);
  });

  it('a YAML file keeps saying YAML', () => {
    expect(issuesOf(() => parseYamlText('a: {b: 1\n', 'models/m/model.yaml'))[0]).toMatch(/^models\/m\/model\.yaml:\d+:\d+: \(root\): invalid YAML: /);
  });
});

describe('an empty config file says so', () => {
  it('model.yaml, empty or only comments', async () => {
    expect((await check({ 'models/m/model.yaml': '' })).lines[0]).toBe('models/m/model.yaml:1:1: (root): the file is empty');
    expect((await check({ 'models/m/model.yaml': '# to do\n\n' })).lines[0]).toBe('models/m/model.yaml:1:1: (root): the file is empty (it holds only comments)');
  });

  it('schema.json and an environment file', async () => {
    const r = await check({ 'models/m/schema.json': '\n', 'environments/prod.yaml': '' });
    expect(r.code).toBe(2);
    expect(r.lines).toContain('models/m/schema.json:1:1: (root): the file is empty');
    expect(r.lines).toContain('environments/prod.yaml:1:1: (root): the file is empty');
  });

  it("a package's slipway.json", async () => {
    const t = tempDir('slipway-msg-pkg-');
    t.write('model.onnx', 'not read');
    t.write('slipway.json', '');
    await expect(readPackage(t.dir)).rejects.toThrow(/slipway\.json:1:1: \(root\): the file is empty$/);
  });
});

describe('a number where a string is expected says how to quote it', () => {
  it("version: 1.0 is the number 1: quote it as '1.0.0'", async () => {
    const env = (v: string) => `apiVersion: slipway/v1\nkind: Environment\nname: prod\npromotion: push\nmodels:\n  m:\n    version: ${v}\n    digest: sha256:${'a'.repeat(64)}\n`;
    const r = await check({ 'environments/prod.yaml': env('1.0') }, ['--env', 'prod']);
    expect(r.code).toBe(2);
    expect(r.lines[0]).toBe("environments/prod.yaml:7:14: /models/m/version: expected a semantic version such as 1.4.0 (string), got number 1.0; quote it: '1.0.0'");
    expect((await check({ 'environments/prod.yaml': env('2') }, ['--env', 'prod'])).lines[0]).toMatch(/got number 2; quote it: '2\.0\.0'$/);
  });

  it('a field with no pattern is quoted as written', async () => {
    const r = await check({ 'models/m/model.yaml': GOOD_MODEL.replace('target: default', 'target: 2024') }, ['--model', 'm']);
    expect(r.lines[0]).toBe("models/m/model.yaml:9:11: /data/target: expected string, got number 2024; quote it: '2024'");
  });
});
