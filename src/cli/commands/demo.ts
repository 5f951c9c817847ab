import { notBuilt } from '../not-built.js';

export const demo = notBuilt('demo', 'Run the whole loop on generated data in a temporary GitOps repository.', {
  keep: { type: 'boolean', description: 'keep the temporary repository and print its path' },
});
