import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, writeOnnx } from '../../src/model/onnx-writer.js';
import type { ModelCard } from '../../src/package/card.js';

/**
 * A model package as `slipway train` writes it: a real (tiny) ONNX model that ONNX Runtime loads, with
 * the input and output its card names; `seed` goes into the model's doc string, so packages differ.
 */
export function writeTestPackage(dir: string, name: string, version: string, seed = version): string {
  mkdirSync(dir, { recursive: true });
  const model = writeOnnx({
    name: 'test',
    doc: `onnx model of ${name} ${seed}`,
    inputs: [{ name: 'input', type: DataType.FLOAT, shape: ['N', 1] }],
    outputs: [{ name: 'probabilities', type: DataType.FLOAT, shape: ['N', 2] }],
    nodes: [{ op: 'Concat', inputs: ['input', 'input'], outputs: ['probabilities'], attrs: { axis: 1 } }],
    initializers: [],
  });
  writeFileSync(join(dir, 'model.onnx'), model);
  const t = '2026-01-01T00:00:00.000Z';
  const card: ModelCard = {
    schema_version: 1,
    name,
    version,
    task: 'binary-classification',
    created_at: t,
    target: 'default',
    sensitive: [],
    signature: { convention: 'matrix', features: ['x'], inputs: [{ name: 'input', type: 'float32', shape: [-1, 1] }], outputs: [{ name: 'probabilities', type: 'float32', shape: [-1, 2] }], output: 'probabilities' },
    lineage: {
      git: { commit: null, dirty: false },
      data: { train: { uri: 'data/train.parquet', digest: null, rows: 10 } },
      params: {},
      seed: 1,
      command: 'builtin:logistic-regression',
      hardware: { cpu: { model: 'test', cores: 1 }, gpus: [] },
      started_at: t,
      finished_at: t,
      duration_s: 0,
      tools: {},
    },
    reference: { rows: 0, columns: {} },
  };
  writeFileSync(join(dir, 'slipway.json'), JSON.stringify(card, null, 2) + '\n');
  return dir;
}
