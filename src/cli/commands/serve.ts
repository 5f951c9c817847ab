import { notBuilt } from '../not-built.js';

export const serve = notBuilt('serve', 'Serve an environment: reconcile environments/<env>.yaml and speak the Open Inference Protocol v2.', {
  env: { type: 'string', value: '<env>', description: 'environment', required: true },
  repo: { type: 'string', value: '<path|git url>', description: 'GitOps repository', default: '.' },
  branch: { type: 'string', value: '<branch>', description: 'branch to follow', default: 'main' },
  port: { type: 'string', value: '<port>', description: 'HTTP port', default: '8080' },
  interval: { type: 'string', value: '<duration>', description: 'reconcile interval', default: '30s' },
});
