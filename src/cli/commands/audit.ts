import { notBuilt } from '../not-built.js';

export const audit = notBuilt('audit', 'The history of an environment from git: promotions, approvals, rollbacks.', {
  env: { type: 'string', value: '<env>', description: 'environment', required: true },
  json: { type: 'boolean', description: 'print JSON' },
});
