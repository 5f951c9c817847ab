import { notBuilt } from '../not-built.js';

export const rollback = notBuilt('rollback', 'Revert the last promotion of a model in an environment.', {
  env: { type: 'string', value: '<env>', description: 'environment', required: true },
  model: { type: 'string', value: '<name>', description: 'model name', required: true },
  to: { type: 'string', value: '<version>', description: 'roll back to this version' },
});
