import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const CRD = join(process.cwd(), '..', 'shared', 'specs', 'kserve-inferenceservices-crd.yaml');
const present = existsSync(CRD);
if (!present) console.log(`skipping the KServe CRD validation: ${CRD} is absent (see ../shared/specs/SOURCES.md)`);

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

type Schema = Record<string, unknown>;

/** Closes every object schema that lists properties (unknown fields rejected), as the CRD itself does not. */
function closeObjects(s: unknown): void {
  if (Array.isArray(s)) return s.forEach(closeObjects);
  if (!s || typeof s !== 'object') return;
  const o = s as Schema;
  if (o.properties && o.additionalProperties === undefined && !o['x-kubernetes-preserve-unknown-fields']) o.additionalProperties = false;
  for (const v of Object.values(o)) closeObjects(v);
}

let validate: ValidateFunction;

function checkResource(r: unknown): string[] {
  const errors: string[] = [];
  if (!validate(r)) errors.push(...(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
  const res = r as { apiVersion: string; kind: string; metadata: { name: string }; spec: { predictor: { canaryTrafficPercent?: number } } };
  if (res.apiVersion !== 'serving.kserve.io/v1beta1' || res.kind !== 'InferenceService') errors.push('not an InferenceService');
  // KServe's admission webhook (a DNS-1035 label), and Kubernetes' rule for label values
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(res.metadata?.name ?? '') || res.metadata.name.length > 63) errors.push('invalid metadata.name');
  for (const v of Object.values((res.metadata as { labels?: Record<string, string> }).labels ?? {})) if (!/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(v) || v.length > 63) errors.push(`invalid label value '${v}'`);
  const c = res.spec?.predictor?.canaryTrafficPercent;
  if (c !== undefined && !(Number.isInteger(c) && c >= 0 && c <= 100)) errors.push(`canaryTrafficPercent ${c} is not in 0..100`);
  return errors;
}

function repo(models: string): string {
  const t = tempDir('slipway-render-');
  t.write('environments/production.yaml', `apiVersion: slipway/v1\nkind: Environment\nname: production\npromotion: pull-request\n${models}`);
  return t.dir;
}

describe.skipIf(!present)('render kserve', () => {
  beforeAll(() => {
    const crd = parse(readFileSync(CRD, 'utf8')) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
    const schema = crd.spec.versions.find((v) => v.name === 'v1beta1')!.schema.openAPIV3Schema;
    closeObjects(schema);
    validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  });

  it('the closed CRD schema really rejects unknown fields and our own check rejects canary > 100', () => {
    const base = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'm' }, spec: { predictor: { model: { modelFormat: { name: 'onnx' }, protocolVersion: 'v2', storageUri: 's3://b/m' } } } };
    expect(checkResource(base)).toEqual([]);
    expect(checkResource({ ...base, spec: { predictor: { model: { ...base.spec.predictor.model, storageURI: 'x' } } } }).join()).toMatch(/must NOT have additional properties.*storageURI/);
    expect(checkResource({ ...base, spec: { predictor: { ...base.spec.predictor, canaryTrafficPercent: 101 } } })).toContain('canaryTrafficPercent 101 is not in 0..100');
    expect(checkResource({ ...base, spec: { predictor: { ...base.spec.predictor, canaryTrafficPercent: 'ten' } } }).join()).toMatch(/canaryTrafficPercent must be integer/);
  });

  it('renders one valid InferenceService per model, the canary at its weight', async () => {
    const dir = repo(`models:
  credit-risk:
    version: 1.4.0
    digest: ${D1}
    uri: s3://models/credit-risk/1.4.0
    canary: { version: 1.5.0, digest: ${D2}, uri: s3://models/credit-risk/1.5.0, weight: 10 }
    shadow: { version: 1.6.0, digest: ${D2} }
  churn:
    version: 2.0.0
    digest: ${D2}
`);
    const r = await runCli(['render', 'kserve', '--env', 'production', '--storage-prefix', 'gs://mirror/slipway/', '--namespace', 'ml'], dir);
    // what the YAML cannot say: a canary KServe has no earlier revision to split against takes all the traffic; the shadow is left out
    expect(r.stderr).toBe(
      'render: credit-risk: canary 1.5.0 is the model, at canaryTrafficPercent 10; KServe splits against the revision it last rolled out at 100 %, so on a new InferenceService, or in RawDeployment mode (no canaries), 1.5.0 takes all the traffic\n' +
        'render: credit-risk: shadow 1.6.0 is not rendered (KServe has no shadow)\n',
    );
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { metadata: { name: string; namespace: string; annotations: Record<string, string> }; spec: { predictor: { canaryTrafficPercent?: number; model: { storageUri: string; modelFormat: unknown; protocolVersion: string } } } });
    expect(docs.map((d) => d.metadata.name)).toEqual(['churn', 'credit-risk']);
    for (const d of docs) expect(checkResource(d)).toEqual([]);
    const [churn, credit] = docs;
    expect(churn.spec.predictor).toEqual({ model: { modelFormat: { name: 'onnx' }, protocolVersion: 'v2', storageUri: `gs://mirror/slipway/sha256/${'b'.repeat(64)}` } });
    expect(credit.spec.predictor.canaryTrafficPercent).toBe(10);
    expect(credit.spec.predictor.model.storageUri).toBe('s3://models/credit-risk/1.5.0');
    expect(credit.metadata).toMatchObject({ namespace: 'ml', annotations: { 'slipway.dev/version': '1.4.0', 'slipway.dev/canary-version': '1.5.0', 'slipway.dev/digest': D1 } });
  });

  it("writes a URI's scheme in lower case, as KServe matches it (S3://b is refused at apply, s3://b is the same place)", async () => {
    const dir = repo(`models:\n  credit-risk: { version: 1.4.0, digest: ${D1}, uri: "S3://Models/Credit-Risk/1.4.0" }\n  churn: { version: 2.0.0, digest: ${D2} }\n`);
    const r = await runCli(['render', 'kserve', '--env', 'production', '--storage-prefix', 'GS://Mirror/Slipway'], dir);
    expect(r.code).toBe(0);
    const uris = parseAllDocuments(r.stdout).map((d) => (d.toJS() as { spec: { predictor: { model: { storageUri: string } } } }).spec.predictor.model.storageUri);
    expect(uris).toEqual([`gs://Mirror/Slipway/sha256/${'b'.repeat(64)}`, 's3://Models/Credit-Risk/1.4.0']);
  });

  it('refuses model and environment names that KServe or Kubernetes would refuse at apply time, naming them (exit 2)', async () => {
    const pins = (names: string[]) => `models:\n${names.map((n) => `  ${n}: { version: 1.4.0, digest: ${D1}, uri: s3://models/${n} }\n`).join('')}`;
    // valid Slipway names all: lower-case, digits, dashes
    const bad = await runCli(['render', 'kserve', '--env', 'production'], repo(pins(['credit-risk', '2fa-fraud', 'churn-'])));
    expect([bad.code, bad.stdout]).toEqual([2, '']);
    expect(bad.stderr).toBe(
      "error: environments/production.yaml: models.2fa-fraud, models.churn-: KServe refuses these names for an InferenceService, which must start with a lower-case letter and end with a letter or digit (^[a-z]([-a-z0-9]*[a-z0-9])?$); rename them to render for KServe\n",
    );
    const t = tempDir('slipway-render-');
    t.write('environments/prod-.yaml', `apiVersion: slipway/v1\nkind: Environment\nname: prod-\npromotion: push\n${pins(['credit-risk'])}`);
    const env = await runCli(['render', 'kserve', '--env', 'prod-'], t.dir);
    expect([env.code, env.stderr]).toEqual([2, "error: environments/prod-.yaml: name 'prod-' cannot be the value of the label slipway.dev/environment: Kubernetes needs a letter or digit at each end of a label value; rename the environment\n"]);
    // the longest Slipway name (63) is a valid one
    const long = `m${'0'.repeat(62)}`;
    const ok = await runCli(['render', 'kserve', '--env', 'production'], repo(pins([long])));
    expect(ok.code).toBe(0);
    expect(checkResource(parse(ok.stdout))).toEqual([]);
  });

  it('--out <dir> mirrors the manifest: the file of a model no longer pinned is removed, nothing else there', async () => {
    const two = `models:\n  credit-risk: { version: 1.4.0, digest: ${D1}, uri: s3://m/a }\n  churn: { version: 2.0.0, digest: ${D2}, uri: s3://m/b }\n`;
    const dir = repo(two);
    expect((await runCli(['render', 'kserve', '--env', 'production', '--out', 'deploy'], dir)).code).toBe(0);
    // beside the renders: files of others, which stay whatever they hold
    const keep: Record<string, string> = {
      'kustomization.yaml': 'resources: [churn.yaml, credit-risk.yaml]\n',
      'staging-churn.yaml': readFileSync(join(dir, 'deploy', 'churn.yaml'), 'utf8').replace('slipway.dev/environment: production', 'slipway.dev/environment: staging'),
      'hand-made.yaml': readFileSync(join(dir, 'deploy', 'churn.yaml'), 'utf8').replace('managed-by: slipway', 'managed-by: helm'),
      'broken.yaml': 'kind: [',
      'notes.txt': 'kind: InferenceService\n',
    };
    for (const [name, text] of Object.entries(keep)) writeFileSync(join(dir, 'deploy', name), text);
    writeFileSync(join(dir, 'environments', 'production.yaml'), readFileSync(join(dir, 'environments', 'production.yaml'), 'utf8').replace(/ {2}churn:.*\n/, ''));
    const r = await runCli(['render', 'kserve', '--env', 'production', '--out', 'deploy'], dir);
    expect([r.code, r.stderr]).toEqual([0, "wrote deploy/credit-risk.yaml\nremoved deploy/churn.yaml (model 'churn' is no longer in environments/production.yaml)\n"]);
    expect(readdirSync(join(dir, 'deploy')).sort()).toEqual(['broken.yaml', 'credit-risk.yaml', 'hand-made.yaml', 'kustomization.yaml', 'notes.txt', 'staging-churn.yaml']);
    for (const [name, text] of Object.entries(keep)) expect(readFileSync(join(dir, 'deploy', name), 'utf8')).toBe(text);
    // another environment's render of the same model is not overwritten: one directory per environment
    writeFileSync(join(dir, 'environments', 'staging.yaml'), readFileSync(join(dir, 'environments', 'production.yaml'), 'utf8').replace('name: production', 'name: staging'));
    const before = readFileSync(join(dir, 'deploy', 'credit-risk.yaml'), 'utf8');
    const clash = await runCli(['render', 'kserve', '--env', 'staging', '--out', 'deploy'], dir);
    expect([clash.code, clash.stderr]).toEqual([2, "error: deploy/credit-risk.yaml holds the InferenceService of environment 'production', which this render of 'staging' would overwrite; render each environment into a directory of its own\n"]);
    expect(readFileSync(join(dir, 'deploy', 'credit-risk.yaml'), 'utf8')).toBe(before);
    expect((await runCli(['render', 'kserve', '--env', 'staging', '--out', 'deploy-staging'], dir)).code).toBe(0);
  });

  it('writes one file per model with --out <dir>, all of them with --out <file.yaml>, and refuses pins KServe cannot download', async () => {
    const dir = repo(`models:\n  credit-risk: { version: 1.4.0, digest: ${D1}, uri: "https://example.com/credit-risk.tar.gz", canary: { version: 1.5.0, digest: ${D2}, uri: "https://example.com/c2.tar.gz", weight: 0 } }\n`);
    const r = await runCli(['render', 'kserve', '--env', 'production', '--out', 'deploy'], dir);
    expect(r.code).toBe(0);
    const doc = parse(readFileSync(join(dir, 'deploy', 'credit-risk.yaml'), 'utf8'));
    expect(checkResource(doc)).toEqual([]);
    expect(doc.spec.predictor.canaryTrafficPercent).toBe(0);
    // a .yaml path is one file holding every resource, as stdout gives them
    const f = await runCli(['render', 'kserve', '--env', 'production', '--out', 'k8s/production.yaml'], dir);
    expect([f.code, f.stderr.split('\n').at(-2)]).toEqual([0, 'wrote k8s/production.yaml (1 InferenceService)']);
    expect(readFileSync(join(dir, 'k8s', 'production.yaml'), 'utf8')).toBe((await runCli(['render', 'kserve', '--env', 'production'], dir)).stdout);
    const gh = repo(`models:\n  credit-risk: { version: 1.4.0, digest: ${D1}, uri: "github-release://acme/models/credit-risk-1.4.0" }\n`);
    const e = await runCli(['render', 'kserve', '--env', 'production'], gh);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/environments\/production\.yaml: models\.credit-risk\.uri 'github-release:\/\/acme\/models\/credit-risk-1\.4\.0' is not a location KServe can download .*--storage-prefix/);
    const none = repo(`models:\n  credit-risk: { version: 1.4.0, digest: ${D1} }\n`);
    expect((await runCli(['render', 'kserve', '--env', 'production'], none)).stderr).toMatch(/models\.credit-risk has no uri; give --storage-prefix/);
    expect((await runCli(['render', 'helm', '--env', 'production'], none)).stderr).toMatch(/expected the target 'kserve'/);
    // an empty --out is not the working directory
    const empty = await runCli(['render', 'kserve', '--env', 'production', '--out', '', '--storage-prefix', 's3://m'], none);
    expect([empty.code, empty.stderr]).toEqual([2, `error: --out: expected a directory, a .yaml file or '-' (stdout), got ""\n`]);
    expect(readdirSync(none).sort()).toEqual(['environments']);
    const ns = await runCli(['render', 'kserve', '--env', 'production', '--namespace', 'ML_team', '--storage-prefix', 's3://m'], none);
    expect([ns.code, ns.stderr]).toEqual([2, "error: --namespace 'ML_team' is not a valid Kubernetes namespace name: lower-case letters, digits and '-', at most 63, with a letter or digit at each end\n"]);
  });
});
