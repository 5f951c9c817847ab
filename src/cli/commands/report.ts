import { notBuilt } from '../not-built.js';

export const report = notBuilt('report', 'Render the evaluation as markdown; post the sticky PR comment, job summary and check run.', {
  evaluation: { type: 'string', value: '<eval.json>', description: 'evaluation report from slipway evaluate', required: true },
  validation: { type: 'string', value: '<v.json>', description: 'validation report from slipway validate' },
  package: { type: 'string', value: '<dir>', description: 'candidate package (for lineage)' },
  pr: { type: 'string', value: '<n>', description: 'pull request number to comment on' },
  out: { type: 'string', value: '<file.md>', description: 'write the markdown here' },
});
