import { notBuilt } from '../not-built.js';

export const render = notBuilt('render', 'Render an environment for another deployer (kserve: InferenceService resources).', {
  env: { type: 'string', value: '<env>', description: 'environment', required: true },
  out: { type: 'string', value: '<dir|->', description: 'where to write the manifests', default: '-' },
}, 'kserve');
