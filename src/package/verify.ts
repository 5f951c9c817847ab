import * as ort from 'onnxruntime-node';
import { InputError } from '../errors.js';
import type { ModelCard } from './card.js';

/**
 * Checks that a package's model.onnx is a model ONNX Runtime loads (a real session on the CPU, as
 * train and evaluate open it) and that it has the inputs and the output its slipway.json signature
 * names: what promote checks before it publishes or commits anything.
 */
export async function verifyModelLoads(pkg: { modelPath: string; card: Pick<ModelCard, 'signature'> }, ref: string): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(pkg.modelPath, { executionProviders: ['cpu'] });
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw new InputError(`${ref}: model.onnx is not a model ONNX Runtime can load (${why}); refusing to promote it: rebuild the package with 'slipway train'`);
  }
  try {
    const sig = pkg.card.signature;
    const missing = sig.inputs.map((i) => i.name).filter((n) => !session.inputNames.includes(n));
    if (missing.length) {
      throw new InputError(`${ref}: slipway.json signature.inputs names ${missing.map((n) => `'${n}'`).join(', ')} but model.onnx has inputs ${session.inputNames.map((n) => `'${n}'`).join(', ')}; refusing to promote it: rebuild the package with 'slipway train'`);
    }
    if (!session.outputNames.includes(sig.output)) {
      throw new InputError(`${ref}: slipway.json signature.output is '${sig.output}' but model.onnx has outputs ${session.outputNames.map((n) => `'${n}'`).join(', ')}; refusing to promote it: rebuild the package with 'slipway train'`);
    }
  } finally {
    await session.release();
  }
}
