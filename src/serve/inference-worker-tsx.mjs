// Entry of the inference worker when Slipway runs from its TypeScript sources (tests, tsx): registers tsx
// in this thread, then loads the worker itself. The built package uses dist/serve/inference-worker.js.
import { register } from 'tsx/esm/api';
register();
await import(new URL('./inference-worker.ts', import.meta.url).href);
