import { notBuilt } from '../not-built.js';

export const evaluate = notBuilt('evaluate', 'Evaluate a candidate against the champion: metrics, confidence intervals, fairness, latency and gates.', {
  model: { type: 'string', value: '<name>', description: 'model under models/<name>/', required: true },
  candidate: { type: 'string', value: '<dir|digest|model.onnx>', description: 'the candidate package', required: true },
  data: { type: 'string', value: '<path>', description: 'test data (default: data.test of model.yaml)' },
  against: { type: 'string', value: '<env>', description: 'environment whose pinned version is the champion', default: 'production' },
  report: { type: 'string', value: '<file.json>', description: 'write the JSON report here' },
});
