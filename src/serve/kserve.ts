/**
 * `slipway render kserve`: the same environment manifest as KServe InferenceService resources (one
 * per model) for Argo CD or Flux to reconcile. Pure: manifest in, resources out.
 *
 * KServe's canary is revision-based: the InferenceService names the new model's storageUri with
 * `canaryTrafficPercent`, and KServe keeps the previously rolled-out revision as the stable one. So a
 * manifest with a canary renders the canary's storageUri at its weight; without one, the stable
 * version at 100%.
 */
import { UsageError } from '../errors.js';
import { uriScheme } from '../spec/paths.js';
import type { EnvironmentSpec, PinnedVersion } from '../spec/types.js';

/** Storage schemes KServe's storage initializer understands. */
export const KSERVE_SCHEMES = ['s3', 'gs', 'pvc', 'http', 'https', 'hdfs', 'webhdfs', 'oci', 'hf'];

export interface RenderOptions {
  namespace?: string;
  /** base URI where packages are published by digest: `<prefix>/sha256/<hex>` (a store mirrored to object storage) */
  storagePrefix?: string;
  /** the environment file, for messages */
  file: string;
}

export interface InferenceService {
  apiVersion: 'serving.kserve.io/v1beta1';
  kind: 'InferenceService';
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    predictor: {
      canaryTrafficPercent?: number;
      model: { modelFormat: { name: 'onnx' }; protocolVersion: 'v2'; storageUri: string };
    };
  };
}

export function storageUriFor(model: string, role: string, pin: PinnedVersion, o: RenderOptions): string {
  if (pin.uri) {
    const scheme = uriScheme(pin.uri);
    if (!scheme || !KSERVE_SCHEMES.includes(scheme)) {
      if (o.storagePrefix) return byDigest(pin.digest, o.storagePrefix);
      throw new UsageError(`${o.file}: models.${model}${role === 'primary' ? '' : '.' + role}.uri '${pin.uri}' is not a location KServe can download (${KSERVE_SCHEMES.map((s) => s + '://').join(', ')}); give --storage-prefix <uri> where packages are mirrored by digest`);
    }
    return lowerScheme(pin.uri);
  }
  if (o.storagePrefix) return byDigest(pin.digest, o.storagePrefix);
  throw new UsageError(`${o.file}: models.${model}${role === 'primary' ? '' : '.' + role} has no uri; give --storage-prefix <uri> where packages are mirrored by digest (<prefix>/sha256/<hex>)`);
}

function byDigest(digest: string, prefix: string): string {
  const scheme = uriScheme(prefix);
  if (!scheme || !KSERVE_SCHEMES.includes(scheme)) throw new UsageError(`--storage-prefix '${prefix}' is not a location KServe can download (${KSERVE_SCHEMES.map((s) => s + '://').join(', ')})`);
  return `${lowerScheme(prefix).replace(/\/+$/, '')}/sha256/${digest.slice('sha256:'.length)}`;
}

/**
 * The URI with its scheme in lower case, which means the same (RFC 3986 §3.1) and is what KServe matches:
 * its webhook and storage initializer compare prefixes (`s3://`) as written, so `S3://b/m` is refused at apply.
 */
function lowerScheme(uri: string): string {
  return uri.replace(/^[a-z][a-z0-9+.-]*:\/\//i, (scheme) => scheme.toLowerCase());
}

/**
 * What KServe's admission webhook accepts as an InferenceService name (a DNS-1035 label: it becomes the
 * host name of the service). Slipway's names may also start with a digit or end with a dash.
 */
export const ISVC_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes label value (names here are at most 63 characters already): a letter or digit at each end. */
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Names that would render resources the API server or KServe refuses at apply time, refused here instead. */
function checkNames(spec: EnvironmentSpec, file: string): void {
  if (!LABEL_VALUE.test(spec.name)) throw new UsageError(`${file}: name '${spec.name}' cannot be the value of the label slipway.dev/environment: Kubernetes needs a letter or digit at each end of a label value; rename the environment`);
  const bad = Object.keys(spec.models ?? {}).filter((m) => !ISVC_NAME.test(m));
  if (bad.length === 0) return;
  throw new UsageError(
    `${file}: ${bad.map((m) => `models.${m}`).join(', ')}: KServe refuses ${bad.length === 1 ? 'this name' : 'these names'} for an InferenceService, which must start with a lower-case letter and end with a letter or digit (${ISVC_NAME.source}); rename ${bad.length === 1 ? 'the model' : 'them'} to render for KServe`,
  );
}

export function renderKServe(spec: EnvironmentSpec, o: RenderOptions): InferenceService[] {
  checkNames(spec, o.file);
  return Object.entries(spec.models ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([model, m]) => {
      const target = m.canary ?? m;
      const weight = m.canary?.weight;
      if (weight !== undefined && !(Number.isInteger(weight) && weight >= 0 && weight <= 100)) throw new UsageError(`${o.file}: models.${model}.canary.weight must be a whole number in 0..100, got ${weight}`);
      return {
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        metadata: {
          name: model,
          ...(o.namespace ? { namespace: o.namespace } : {}),
          labels: { 'app.kubernetes.io/managed-by': 'slipway', 'slipway.dev/environment': spec.name, 'slipway.dev/model': model },
          annotations: {
            'slipway.dev/version': m.version,
            'slipway.dev/digest': m.digest,
            ...(m.canary ? { 'slipway.dev/canary-version': m.canary.version, 'slipway.dev/canary-digest': m.canary.digest } : {}),
          },
        },
        spec: {
          predictor: {
            ...(weight !== undefined ? { canaryTrafficPercent: weight } : {}),
            model: { modelFormat: { name: 'onnx' }, protocolVersion: 'v2', storageUri: storageUriFor(model, m.canary ? 'canary' : 'primary', target, o) },
          },
        },
      } satisfies InferenceService;
    });
}
