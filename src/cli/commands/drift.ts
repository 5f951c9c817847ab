import { notBuilt } from '../not-built.js';

export const drift = notBuilt('drift', 'Compare a window of production data or prediction logs with the training reference profile.', {
  model: { type: 'string', value: '<name>', description: 'model name', required: true },
  env: { type: 'string', value: '<env>', description: 'environment whose pinned package holds the reference', default: 'production' },
  current: { type: 'string', value: '<path|logs dir>', description: 'current window', required: true },
  reference: { type: 'string', value: '<data path|package>', description: 'compare with this instead of the pinned package' },
  report: { type: 'string', value: '<file.json>', description: 'write the JSON report here' },
});
