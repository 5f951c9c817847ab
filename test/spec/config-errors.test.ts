import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { configRepo, GOOD_MODEL } from '../support/config-repo.js';

/**
 * Malformed model.yaml / schema.json / environment files: each must give a precise error naming
 * file:line:col, the field path and what was expected, with exit code 2 and no stack trace.
 */
const repoWith = (files: Record<string, string>) => configRepo(files, { prefix: 'slipway-spec-' });

async function check(files: Record<string, string>, args: string[]) {
  const root = repoWith(files);
  return runCli(['check', '--repo', root, ...args], root);
}

interface Case {
  name: string;
  files: Record<string, string>;
  args: string[];
  /** every line expected in stderr, exactly as `file:line:col: /path: message` (or a pattern for it) */
  expect: (string | RegExp)[];
}

const CANARY_LINE = `    canary: { version: 1.5.0, digest: "sha256:${'a'.repeat(64)}", weight: 150 }`;
const model = (text: string) => ({ 'models/m/model.yaml': text });
const env = (text: string) => ({ 'environments/prod.yaml': text });

const cases: Case[] = [
  {
    name: 'unknown task (enum)',
    files: model(GOOD_MODEL.replace('binary-classification', 'binary')),
    args: ['--model', 'm'],
    expect: ['models/m/model.yaml:4:7: /task: expected one of "binary-classification", "multiclass-classification", "regression", got the string "binary"'],
  },
  {
    name: 'missing required field, with its parent located',
    files: model(GOOD_MODEL.replace('  target: default\n', '')),
    args: ['--model', 'm'],
    expect: ["models/m/model.yaml:6:3: /data/target: missing required field 'target'"],
  },
  {
    name: 'a typo in a key is an unknown field, pointing at the key',
    files: model(GOOD_MODEL.replace('  sensitive: [sex]', '  sensitve: [sex]')),
    args: ['--model', 'm'],
    expect: ["models/m/model.yaml:10:3: /data/sensitve: unknown field 'sensitve' (allowed: schema, train, test, validation, target, positive_label, sensitive, features, id)"],
  },
  {
    name: 'invalid model name',
    files: model(GOOD_MODEL.replace('name: m', 'name: Credit_Risk')),
    args: ['--model', 'm'],
    expect: ['models/m/model.yaml:3:7: /name: expected lower-case letters, digits and dashes, at most 63 characters, got the string "Credit_Risk"'],
  },
  {
    name: 'a gate that is not a comparison, and a wrong type, reported together',
    files: model(GOOD_MODEL + 'gates:\n  metrics:\n    roc_auc: at least 0.75\n  latency_p99_ms: fast\n'),
    args: ['--model', 'm'],
    expect: [
      'models/m/model.yaml:15:14: /gates/metrics/roc_auc: expected a comparison such as ">= 0.75", got the string "at least 0.75"',
      'models/m/model.yaml:16:19: /gates/latency_p99_ms: expected number, got the string "fast"',
    ],
  },
  {
    name: 'a data path that escapes the repository',
    files: model(GOOD_MODEL.replace('train: data/train.csv', 'train: ../../../etc/passwd')),
    args: ['--model', 'm'],
    expect: ["models/m/model.yaml:7:10: /data/train: path '../../../etc/passwd' escapes the repository"],
  },
  {
    name: 'both command and builtin',
    files: model(GOOD_MODEL.replace('  builtin: logistic-regression', '  builtin: logistic-regression\n  command: python train.py')),
    args: ['--model', 'm'],
    expect: ['models/m/model.yaml:12:3: /train: expected exactly one of `command` or `builtin`'],
  },
  {
    name: 'a target that is not a column of the contract',
    files: model(GOOD_MODEL.replace('target: default', 'target: defaulted')),
    args: ['--model', 'm'],
    expect: [/^models\/m\/model\.yaml:9:11: \/data\/target: column 'defaulted' is not in .*schema\.json \(columns: id, income/],
  },
  {
    name: 'a malformed timeout duration',
    files: model(GOOD_MODEL + '  timeout: two hours\n'),
    args: ['--model', 'm'],
    expect: ['models/m/model.yaml:13:12: /train/timeout: expected a duration such as 90s, 30m or 2h, got the string "two hours"'],
  },
  {
    name: 'a timeout longer than a timer can wait (2^31-1 ms), and one of 0',
    files: model(GOOD_MODEL + '  timeout: 99999999999999h\n'),
    args: ['--model', 'm'],
    expect: ["models/m/model.yaml:13:12: /train/timeout: '99999999999999h' is too long: at most 596h (about 24.8 days, the longest a timer can wait)"],
  },
  {
    name: 'a timeout of 0',
    files: model(GOOD_MODEL + '  timeout: 0s\n'),
    args: ['--model', 'm'],
    expect: ["models/m/model.yaml:13:12: /train/timeout: '0s' must be more than 0"],
  },
  {
    name: 'YAML syntax error (bad indentation)',
    files: model(GOOD_MODEL.replace('  target: default', ' target: default')),
    args: ['--model', 'm'],
    expect: [/^models\/m\/model\.yaml:9:\d+: \(root\): invalid YAML: /],
  },
  {
    name: 'duplicate keys',
    files: model(GOOD_MODEL + 'task: regression\n'),
    args: ['--model', 'm'],
    expect: [/^models\/m\/model\.yaml:13:1: \(root\): invalid YAML: Map keys must be unique/],
  },
  {
    name: 'a billion-laughs alias bomb is refused, not expanded',
    files: model(
      GOOD_MODEL +
        'x: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n' +
        Array.from({ length: 8 }, (_, i) => `x${i}: &a${i} [${Array(10).fill(i === 0 ? '*a' : `*a${i - 1}`).join(', ')}]`).join('\n') +
        '\n',
    ),
    args: ['--model', 'm'],
    expect: [/^models\/m\/model\.yaml:1:1: \(root\): YAML aliases expand too far .*at most 100 alias expansions/],
  },
  {
    name: 'environment: bad digest, bad version, canary weight out of range',
    files: env(`apiVersion: slipway/v1
kind: Environment
name: prod
promotion: pull-request
models:
  credit-risk:
    version: 1.4
    digest: sha256:abc
${CANARY_LINE}
`),
    args: ['--env', 'prod'],
    expect: [
      "environments/prod.yaml:7:14: /models/credit-risk/version: expected a semantic version such as 1.4.0 (string), got number 1.4; quote it: '1.4.0'",
      'environments/prod.yaml:8:13: /models/credit-risk/digest: expected sha256: followed by 64 lower-case hex digits, got the string "sha256:abc"',
      `environments/prod.yaml:9:${CANARY_LINE.indexOf('150') + 1}: /models/credit-risk/canary/weight: expected a number <= 100, got number 150`,
    ],
  },
  {
    name: 'environment: version parts above Number.MAX_SAFE_INTEGER (stable, canary, shadow)',
    files: env(`apiVersion: slipway/v1
kind: Environment
name: prod
promotion: pull-request
models:
  credit-risk:
    version: 99999999999999999999.0.0
    digest: sha256:${'a'.repeat(64)}
    canary: { version: 1.9007199254740992.0, digest: "sha256:${'b'.repeat(64)}", weight: 5 }
    shadow:
      version: 9007199254740991.0.9007199254740991
      digest: sha256:${'c'.repeat(64)}
`),
    args: ['--env', 'prod'],
    expect: [
      "environments/prod.yaml:7:14: /models/credit-risk/version: '99999999999999999999.0.0' has a part above 9007199254740991 (Number.MAX_SAFE_INTEGER, the largest whole number held exactly)",
      "environments/prod.yaml:9:24: /models/credit-risk/canary/version: '1.9007199254740992.0' has a part above 9007199254740991 (Number.MAX_SAFE_INTEGER, the largest whole number held exactly)",
    ],
  },
  {
    name: 'environment: unknown promotion mode and a file/name mismatch',
    files: env('apiVersion: slipway/v1\nkind: Environment\nname: prod\npromotion: auto\n'),
    args: ['--env', 'prod'],
    expect: ['environments/prod.yaml:4:12: /promotion: expected one of "pull-request", "push", got the string "auto"'],
  },
  {
    name: 'environment: name differs from the file name',
    files: env('apiVersion: slipway/v1\nkind: Environment\nname: production\npromotion: push\n'),
    args: ['--env', 'prod'],
    expect: ["environments/prod.yaml:3:7: /name: must equal the file name 'prod', got 'production'"],
  },
  {
    name: 'environment: invalid model name as a key',
    files: env('apiVersion: slipway/v1\nkind: Environment\nname: prod\npromotion: push\nmodels:\n  ../evil:\n    version: 1.0.0\n    digest: sha256:' + 'b'.repeat(64) + '\n'),
    args: ['--env', 'prod'],
    expect: ["environments/prod.yaml:6:3: /models/../evil: invalid name '../evil': expected a model name: lower-case letters, digits and dashes (at most 63, starting with a letter or digit)"],
  },
  {
    name: 'model: a gate on a metric name that is no metric name',
    files: model(GOOD_MODEL + 'gates:\n  metrics:\n    ROC-AUC: ">= 0.7"\n'),
    args: ['--model', 'm'],
    expect: ["models/m/model.yaml:15:5: /gates/metrics/ROC-AUC: invalid name 'ROC-AUC': expected a metric name: lower-case letters, digits and underscores, starting with a letter"],
  },
  {
    name: 'data contract: unknown column type and a bad regular expression',
    files: {
      ...model(GOOD_MODEL),
      'models/m/schema.json': '{\n  "properties": {\n    "default": { "type": "int" },\n    "sex": { "type": "string", "pattern": "([" }\n  }\n}\n',
    },
    args: ['--model', 'm'],
    expect: [
      'models/m/schema.json:3:26: /properties/default/type: expected one of "number", "integer", "string", "boolean", "null" or a list of them (array), got the string "int"',
      'models/m/schema.json:4:43: /properties/sex/pattern: invalid regular expression "([": unterminated character class',
    ],
  },
  {
    // JSON Schema keywords the contract does not compile to SQL were accepted and never checked: 3 for income
    // passed `multipleOf: 5`; now each is refused at its line, while annotations and x- extensions stay allowed
    name: 'data contract: keywords it would not check (multipleOf, const, anyOf, minProperties) are refused',
    files: {
      ...model(GOOD_MODEL),
      'models/m/schema.json':
        '{\n  "minProperties": 2,\n  "x-owner": "risk",\n  "properties": {\n    "income": { "type": "number", "multipleOf": 5, "title": "yearly income", "x-unit": "EUR", "examples": [1] },\n    "region": { "const": "north", "$comment": "one region" },\n    "debt_ratio": { "anyOf": [{ "type": "number" }] }\n  }\n}\n',
    },
    args: ['--model', 'm'],
    expect: [
      /^models\/m\/schema\.json:2:3: \/minProperties: unknown field 'minProperties' \(allowed: \$schema, \$id, title, description, .*\)$/,
      /^models\/m\/schema\.json:5:35: \/properties\/income\/multipleOf: unknown field 'multipleOf' \(allowed: type, minimum, .*\)$/,
      /^models\/m\/schema\.json:6:17: \/properties\/region\/const: unknown field 'const' \(allowed: type, minimum, .*\)$/,
      /^models\/m\/schema\.json:7:21: \/properties\/debt_ratio\/anyOf: unknown field 'anyOf' \(allowed: type, minimum, .*\)$/,
    ],
  },
];

describe('config errors are precise and complete', () => {
  it.each(cases)('$name', async (c) => {
    const r = await check(c.files, c.args);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const lines = r.stderr.trim().split('\n');
    for (const e of c.expect) {
      if (typeof e === 'string') expect(lines).toContain(e);
      else expect(lines.some((l) => e.test(l)), `no line matches ${e}\n${r.stderr}`).toBe(true);
    }
  });

  it('a valid repository passes with exit 0', async () => {
    const r = await check({ ...model(GOOD_MODEL), 'environments/prod.yaml': 'apiVersion: slipway/v1\nkind: Environment\nname: prod\npromotion: push\nmodels: {}\n' }, []);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('the shipped example model and environments are valid', async () => {
    const r = await runCli(['check', '--repo', process.cwd()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok  models/credit-risk');
    expect(r.stdout).toContain('ok  environments/production.yaml');
  });
});
