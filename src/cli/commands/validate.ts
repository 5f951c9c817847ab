import { notBuilt } from '../not-built.js';

export const validate = notBuilt('validate', 'Check a dataset against the model\'s data contract (models/<name>/schema.json) with DuckDB.', {
  model: { type: 'string', value: '<name>', description: 'model under models/<name>/', required: true },
  data: { type: 'string', value: '<path|url>', description: 'CSV, Parquet or JSON lines file to check (default: data.train and data.test of model.yaml)' },
  report: { type: 'string', value: '<file.json>', description: 'write the JSON report here' },
});
