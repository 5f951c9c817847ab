import { notBuilt } from '../not-built.js';

export const train = notBuilt('train', 'Run the model\'s training command, verify model.onnx and build a model package in the store.', {
  model: { type: 'string', value: '<name>', description: 'model under models/<name>/', required: true },
  out: { type: 'string', value: '<dir>', description: 'also copy the package here' },
});
