import { runAction } from './run-action.js';

/** Entry point of actions/drift: `slipway drift` with the action's inputs as flags. */
export const run = (): Promise<number> => runAction('drift');
