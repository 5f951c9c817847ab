// Builds dist/ with tsc. Nothing is bundled: onnxruntime-node and @duckdb/node-api are native
// and stay external, resolved from node_modules at run time.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
console.log('built dist/');
