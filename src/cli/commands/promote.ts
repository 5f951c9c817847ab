import { notBuilt } from '../not-built.js';

export const promote = notBuilt('promote', 'Publish a package and pin it in environments/<env>.yaml (a commit, or a PR for pull-request environments).', {
  model: { type: 'string', value: '<name>', description: 'model name', required: true },
  candidate: { type: 'string', value: '<dir|digest>', description: 'package to promote', required: true },
  env: { type: 'string', value: '<env>', description: 'environment', required: true },
  weight: { type: 'string', value: '<0-100>', description: 'promote as a canary with this traffic weight' },
});
